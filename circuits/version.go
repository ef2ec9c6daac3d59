package circuits

// StatementVersion is the version of the statement's JSON encoding
// (statements/<module>.json in the artifacts, DESIGN §5). A decoder refuses
// any other version.
const StatementVersion = 1

// ChallengeDomain is the domain-separation tag that starts every
// Fiat–Shamir seed (see DeriveChallenges). It names the protocol version:
// a change to the challenge derivation must change it.
const ChallengeDomain = "zklora/v1/challenge"

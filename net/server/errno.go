package server

import "syscall"

// errTooManyFiles is the accept error worth backing off on.
const errTooManyFiles = syscall.EMFILE

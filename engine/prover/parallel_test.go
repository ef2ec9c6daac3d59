package prover

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

func manyJobs(t *testing.T, k *Keys, n int) ([]Job, []fixture) {
	t.Helper()
	jobs := make([]Job, n)
	fs := make([]fixture, n)
	for i := range jobs {
		fs[i] = newFixture(t, k.Shape, 1+i%3, 500+uint64(i))
		jobs[i] = Job{Name: "m" + string(rune('a'+i)), Keys: k, Statement: fs[i].st, A: fs[i].A, B: fs[i].B, Salt: mustSalt(t)}
	}
	return jobs, fs
}

func TestProveMany(t *testing.T) {
	k := devKeys(t, small)
	jobs, _ := manyJobs(t, k, 6)
	var calls atomic.Int32
	last := 0
	proofs, err := ProveMany(context.Background(), jobs, ManyOptions{
		Workers:      3,
		MemoryBudget: 2 * EstimateProveMemory(k), // at most two at a time
		Progress: func(done, total int, j Job) {
			calls.Add(1)
			if done != last+1 || total != len(jobs) {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if int(calls.Load()) != len(jobs) {
		t.Fatalf("progress called %d times", calls.Load())
	}
	items := make([]BatchItem, len(jobs))
	for i, p := range proofs {
		cm, _ := Commitment(k, jobs[i].A, jobs[i].B, jobs[i].Salt)
		items[i] = BatchItem{Statement: jobs[i].Statement, Commitment: cm, Proof: p}
	}
	if err := BatchVerify(k.VK, items); err != nil {
		t.Fatalf("proofs out of order or invalid: %v", err)
	}
	// A budget below one job still runs every job (one at a time).
	if _, err := ProveMany(context.Background(), jobs[:2], ManyOptions{MemoryBudget: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestProveManyFirstErrorStops(t *testing.T) {
	k := devKeys(t, small)
	jobs, _ := manyJobs(t, k, 8)
	jobs[1].Statement = cloneStatement(jobs[1].Statement)
	jobs[1].Statement.Zbar.SetUint64(1)
	var started atomic.Int32
	_, err := ProveMany(context.Background(), jobs, ManyOptions{Workers: 1, Progress: func(int, int, Job) { started.Add(1) }})
	if !errors.Is(err, ErrUnsatisfied) || !strings.Contains(err.Error(), jobs[1].Name) {
		t.Fatalf("error %v does not name job %s", err, jobs[1].Name)
	}
	if n := started.Load(); n > 2 {
		t.Fatalf("%d proofs finished after the failure with one worker", n)
	}
}

func TestProveManyCancelled(t *testing.T) {
	k := devKeys(t, small)
	jobs, _ := manyJobs(t, k, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ProveMany(ctx, jobs, ManyOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	_, err := ProveMany(ctx, jobs, ManyOptions{Workers: 1, Progress: func(done, _ int, _ Job) {
		if done == 1 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled mid-way: %v", err)
	}
	if _, err := ProveMany(context.Background(), []Job{{Name: "x"}}, ManyOptions{}); err == nil {
		t.Fatal("job without keys accepted")
	}
}

func TestProveManyChecksAnnouncedCommitment(t *testing.T) {
	k := devKeys(t, small)
	jobs, _ := manyJobs(t, k, 2)
	for i := range jobs {
		cm, err := Commitment(k, jobs[i].A, jobs[i].B, jobs[i].Salt)
		if err != nil {
			t.Fatal(err)
		}
		jobs[i].Commitment = cm
	}
	if _, err := ProveMany(context.Background(), jobs, ManyOptions{}); err != nil {
		t.Fatalf("right commitments refused: %v", err)
	}
	jobs[1].Commitment = jobs[0].Commitment // announced for other weights
	_, err := ProveMany(context.Background(), jobs, ManyOptions{})
	if !errors.Is(err, ErrCommitmentMismatch) || !strings.Contains(err.Error(), jobs[1].Name) {
		t.Fatalf("a proof with another commitment was accepted: %v", err)
	}
}

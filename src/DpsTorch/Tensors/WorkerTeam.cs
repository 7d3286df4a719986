// The engine's own threads for TensorEngine.ParallelRanges (issue 18): at N = 128 a product's half is ~65 µs, less
// than a thread-pool worker takes to wake for Parallel.For, so the calling thread ran both halves. These workers stay
// awake (spinning) for a short while after each job, so the next job of a step finds them ready; then they block.
using System.Diagnostics;

namespace DpsTorch;

/// <summary>
/// A team of background worker threads that help run one range job at a time: the job's parts (contiguous ranges of
/// [0, count)) are claimed one by one by the caller and by whichever workers are running, so a worker that is slow to
/// come (asleep, or descheduled on a loaded machine) delays nothing: the caller runs the parts nobody has claimed and
/// waits only for parts a worker is already running. After a job a worker spins for <see cref="SpinMicroseconds"/>
/// waiting for the next one, then sleeps until woken. One job at a time: a caller that finds the team busy (another
/// thread's job, or a job started from inside a part) gets false and runs its job some other way.
/// </summary>
internal static class WorkerTeam
{
    /// <summary>How long an idle worker spins for the next job before it blocks (µs).</summary>
    internal const int SpinMicroseconds = 200;

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
    private static readonly object Grow = new();
    private static Worker[] _workers = [];
    private static int _busy;
    private static int _generation;    // written only by the caller holding _busy
    private static Job? _current;

    private sealed class Worker
    {
        public readonly SemaphoreSlim Wake = new(0);
        public int Sleeping;
        public int Ticket; // the generation of the last job this worker was called to
    }

    /// <summary>One job: its parts are claimed through Next; Done counts the finished ones.</summary>
    private sealed class Job(Action<int, int> body, int count, int chunk, int parts)
    {
        public int Next, Done;
        public Exception? Failure;

        /// <summary>Claims and runs parts until none is left.</summary>
        public void Help()
        {
            while (true)
            {
                int t = Interlocked.Increment(ref Next) - 1;
                if (t >= parts) return;
                try
                {
                    int s = t * chunk, e = Math.Min(count, s + chunk);
                    if (s < e) body(s, e);
                }
                catch (Exception ex) { Interlocked.CompareExchange(ref Failure, ex, null); }
                Interlocked.Increment(ref Done);
            }
        }

        public bool Finished => Volatile.Read(ref Done) == parts;
    }

    /// <summary>
    /// Runs body(start, end) over <paramref name="parts"/> contiguous ranges of <paramref name="chunk"/> covering
    /// [0, count) and returns true, or returns false at once (nothing run) when the team is busy.
    /// </summary>
    public static bool TryRun(int count, int chunk, int parts, Action<int, int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            var workers = _workers;
            if (workers.Length < parts - 1) workers = AddWorkers(parts - 1);
            var job = new Job(body, count, chunk, parts);
            Volatile.Write(ref _current, job);
            int generation = ++_generation;
            for (int t = 0; t < parts - 1; t++)
            {
                Volatile.Write(ref workers[t].Ticket, generation);
                if (Interlocked.Exchange(ref workers[t].Sleeping, 0) == 1) workers[t].Wake.Release();
            }
            job.Help();
            var spin = new SpinWait();
            while (!job.Finished) spin.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref _current, null);
            if (job.Failure is not null) throw new AggregateException(job.Failure);
            return true;
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    private static Worker[] AddWorkers(int needed)
    {
        lock (Grow)
        {
            var old = _workers;
            if (old.Length >= needed) return old;
            var all = new Worker[needed];
            Array.Copy(old, all, old.Length);
            for (int t = old.Length; t < needed; t++) all[t] = new Worker();
            _workers = all;
            for (int t = old.Length; t < needed; t++)
            {
                var me = all[t];
                new Thread(() => Loop(me)) { IsBackground = true, Name = $"DpsTorch worker {t + 1}" }.Start();
            }
            return all;
        }
    }

    private static void Loop(Worker me)
    {
        int seen = 0;
        while (true)
        {
            seen = WaitForJob(me, seen);
            Volatile.Read(ref _current)?.Help(); // a job already over has no part left to claim
        }
    }

    /// <summary>Spins for a short while, then sleeps, until this worker's ticket moves past <paramref name="seen"/>.</summary>
    private static int WaitForJob(Worker me, int seen)
    {
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        var spin = new SpinWait();
        while (true)
        {
            int g = Volatile.Read(ref me.Ticket);
            if (g != seen) return g;
            // SpinWait yields the core between short spins, so on a loaded machine a waiting worker gives way to the
            // threads that have work (the caller's included).
            if (Stopwatch.GetTimestamp() < until) { spin.SpinOnce(sleep1Threshold: -1); continue; }
            Interlocked.Exchange(ref me.Sleeping, 1);
            g = Volatile.Read(ref me.Ticket);
            if (g != seen) { Interlocked.Exchange(ref me.Sleeping, 0); return g; }
            me.Wake.Wait();
            until = Stopwatch.GetTimestamp() + SpinTicks;
            spin.Reset();
        }
    }
}

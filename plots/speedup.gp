# speedup.gp: the headline chart. Speedup vs workers, I/O-bound beside CPU-bound, threads vs
# processes, C vs Python, with the ideal lines. Reads plots/data/speedup.csv (and
# plots/data/speedup-yours.csv when `make plots` measured your lesson 05 too).
load "plots/style.gpi"

data = chart_data("speedup")
yours = "plots/data/speedup-yours.csv"
have_ref = is_ref(data) # no reference (a handout): your series alone, and no Python's
cores = int(fact(data, "cores"))
python = fact(data, "python")
have_python = have_ref && strstrt(python, "Python ") == 1
have_yours = file_exists(yours)
# Lesson 10's map over MPI ranks (plots/data/mpi.csv, same columns): the CPU-bound side only.
mpi = "plots/data/mpi.csv"
have_mpi = file_exists(mpi)
have_hosts = have_mpi && int(system(sprintf("grep -c '^cpu,mpi-hosts,' '%s'", mpi))) > 0

# Rows of one workload and pool; the others become NaN, which gnuplot leaves out.
pick(w, p) = (strcol(1) eq w && strcol(2) eq p) ? column(3) : NaN
# The error bar: the speedup of the slowest run (max_s) and of the fastest (min_s).
LO = '(column(7) * column(4) / column(6))'
HI = '(column(7) * column(4) / column(5))'
ideal_cpu(x) = x < cores ? x : cores
# The speedup of pool p at n workers of workload w in file f, for the annotations.
at_in(f, w, p, n) = real(system(sprintf( \
    "awk -F, '$1 == \"%s\" && $2 == \"%s\" && $3 == %d { print $7 }' '%s'", w, p, n, f)))
at(w, p, n) = at_in(data, w, p, n)
# The annotation's lines for your pools, if measured.
# digits: decimals to show.
yours_at(w, n, digits) = !have_yours ? "" : sprintf( \
    sprintf("\nyour threads %%.%dfx\nyour processes %%.%dfx", digits, digits), \
    at_in(yours, w, "thread-yours", n), at_in(yours, w, "process-yours", n))

# The noise: how far apart two runs of the same reference code land here. Pairs from five runs
# of the reference on the 2-core machine of plots/reference (shared, other programs running) put
# the same point's speedup up to 4.8% apart on the I/O-bound work, hence NOISE_IO. The CPU-bound
# work loses a core whenever anything else computes, and then two runs differ by up to 2x; the
# two pairs of runs whose own checks (cpu_capacity) stayed at 85% of ideal or better, before
# and after, differed by up to 8% and 22%, hence NOISE_CPU, which holds only for such runs.
# A difference under these is not one that this chart can show.
NOISE_IO = 0.05
NOISE_CPU = 0.25
# 1 if the machine's own check in file saw every core free before and after the CPU-bound runs.
min2(a, b) = a < b ? a : b
quiet(file) = fact(file, "cpu_capacity") ne "" && \
    min2(real(word(fact(file, "cpu_capacity"), 1)), real(word(fact(file, "cpu_capacity"), 2))) \
    >= 0.85 * cores
# "d n b k": the largest relative difference d between your pool's speedup and the reference's
# over the worker counts of workload w, and the workers n where it is; then the largest, b (at k
# workers), among the points that differ by more than noise *and* whose fastest-to-slowest
# ranges do not overlap: a point where one slow repetition of either run stretched its range
# over the other's is noise too, whatever its median says. b is 0 when no point is such.
gap(w, pool, noise) = system(sprintf("awk -F, 'FNR == 1 { f++ } /^#/ || /^workload/ { next } " . \
    "{ lo = $7 * $4 / $6; hi = $7 * $4 / $5 } " . \
    "f == 1 && $1 == \"%s\" && $2 == \"%s\" { r[$3] = $7; rl[$3] = lo; rh[$3] = hi; next } " . \
    "f == 2 && $1 == \"%s\" && $2 == \"%s-yours\" && ($3 in r) && r[$3] > 0 { " . \
    "d = $7 / r[$3] - 1; if (d < 0) d = -d; if (d >= m) { m = d; n = $3 } " . \
    "if (d >= %g && (hi < rl[$3] || lo > rh[$3]) && d >= b) { b = d; k = $3 } } " . \
    "END { printf \"%%.3f %%d %%.3f %%d\", m, n, b, k }' '%s' '%s'", \
    w, pool, w, pool, noise, data, yours))
# One sentence per pool: on each workload, within the noise, or by how much and where it differs.
pct(d) = d < 0.01 ? "under 1%" : sprintf("%.0f%%", 100 * d)
within_of(g) = real(word(g, 3)) > 0 ? \
    sprintf("%s apart at %s workers, more than the noise", pct(real(word(g, 3))), word(g, 4)) : \
    real(word(g, 1)) < NOISE_OF ? \
    sprintf("the same within the noise (%s)", real(word(g, 1)) < 0.01 ? "under 1% apart" : \
            sprintf("at most %.0f%% apart", 100 * real(word(g, 1)))) : \
    sprintf("no difference beyond the noise (medians %s apart, in the spread)", \
            pct(real(word(g, 1))))
within(w, pool, noise) = (NOISE_OF = noise, within_of(gap(w, pool, noise)))
verdict(pool, name) = sprintf("Your %s pool against the reference: I/O-bound, %s; CPU-bound, %s.", \
    name, within("io", pool, NOISE_IO), quiet(data) && quiet(yours) ? \
    within("cpu", pool, NOISE_CPU) : busy(quiet(yours) ? data : yours))
# Which run had a core taken, and its check, for the verdict.
busy(file) = sprintf("not comparable (a core was busy in %s run: its check %sx, %sx)", \
    file eq yours ? "your" : "the reference's", word(fact(file, "cpu_capacity"), 1), \
    word(fact(file, "cpu_capacity"), 2))
# (Joined with ".", not one sprintf: gnuplot cuts a long sprintf's result short.)
NOISE_NOTE = !(have_yours && have_ref) ? "" : "\n" . verdict("thread", "thread") . "\n" . \
    verdict("process", "process") . "\n" . sprintf("(The noise: runs of the reference on a " . \
    "shared 2-core machine differed by up to %.0f%% on I/O, ", 100 * NOISE_IO) . \
    sprintf("and %.0f%% on CPU when their checks were at 85%% of ideal or better.)", 100 * NOISE_CPU)

set logscale x 2
set logscale y 2
set xrange [0.8:40]
set yrange [0.5:48]
set xtics ("1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32)
set ytics ("0.5" 0.5, "1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32)
set xlabel "workers in the pool"
set ylabel "speedup (time on 1 worker / time on n)"
set samples 200
set key top left Left reverse box opaque samplen 3 width 1

# One clause per series, for workload W; Python and yours only where they were measured.
SERIES(file, pool, style, name) = sprintf( \
    ", '%s' using (pick(W, \"%s\")):7:@LO:@HI with yerrorlines %s title \"%s\"", \
    file, pool, style, name)
C_SERIES = !have_ref ? "" : \
    SERIES(data, "thread", "lc rgb C_THREAD lw 2.5 pt 7 ps 1.1", "C thread pool") . \
    SERIES(data, "process", "lc rgb C_PROCESS lw 2.5 pt 5 ps 1.1", "C process pool")
PY_SERIES = !have_python ? "" : \
    SERIES(data, "python-thread", "lc rgb PY_THREAD lw 2 dt 2 pt 6 ps 1", \
           "Python ThreadPoolExecutor") . \
    SERIES(data, "python-process", "lc rgb PY_PROCESS lw 2 dt 2 pt 4 ps 1", \
           "Python ProcessPoolExecutor")
YOURS_SERIES = !have_yours ? "" : \
    SERIES(yours, "thread-yours", "lc rgb YOURS_THREAD lw 2 pt 9 ps 1.3", "thread (yours)") . \
    SERIES(yours, "process-yours", "lc rgb YOURS_PROCESS lw 2 pt 11 ps 1.3", "process (yours)")

MPI_SERIES = !have_mpi ? "" : \
    SERIES(mpi, "mpi", "lc rgb '#e377c2' lw 2 pt 13 ps 1.2", "C MPI ranks (lesson 10)") . \
    (!have_hosts ? "" : SERIES(mpi, "mpi-hosts", "lc rgb '#8c564b' lw 2 dt 4 pt 12 ps 1.2", \
                               "C MPI ranks over 2 namespace hosts"))

WHOSE = !have_ref ? "" : have_yours ? \
    "Solid: the reference solution's pools; green and purple: yours (lessons/05-pools)." : \
    "The C series: the reference solution's pools; yours are added once make check passes lesson 05."
TITLE = sprintf("Speedup vs workers on %d cores: waiting scales with the workers, " . \
                "computing only up to the cores\n%s\n%s", cores, machine(data), \
                have_ref ? WHOSE : NO_REF)
capacity = fact(data, "cpu_capacity")
NOTE = sprintf("Median of %s runs on a warm pool; bars: fastest to slowest run. %s%s", \
               fact(data, "reps"), have_python ? "Dashed: the same work in " . python . "." \
                                               : !have_ref ? "" : "python3 not found: no Python series.", \
               capacity eq "" ? "" : sprintf("\nThe machine's own check: %d threads " . \
               "counting at once ran %sx as fast as one, before the CPU-bound runs, and %sx " . \
               "after (%d would be ideal).", cores, word(capacity, 1), word(capacity, 2), cores)) . \
       NOISE_NOTE


do for [fmt in "png svg"] {
    W = 1300; H = have_yours ? 760 : 680; @TERMINAL
    set output "plots/speedup.".fmt
    set multiplot title TITLE font ",14"
    set tmargin at screen 0.82
    set bmargin at screen (have_yours ? 0.24 : 0.16)
    set label 1 NOTE at screen 0.02, screen (have_yours ? 0.11 : 0.05) font ",10"

    # I/O-bound: every worker sleeps at the same time, so the time divides by the workers.
    W = "io"
    set lmargin at screen 0.06
    set rmargin at screen 0.48
    set title sprintf("I/O-bound: %s", fact(data, "io_work"))
    set label 2 "ideal: y = workers" at 11, 14.5 rotate by 34 tc rgb IDEAL front
    set label 3 (!have_ref ? "at 32 workers:" : sprintf("at 32 workers:\nC threads %.1fx\nC processes %.1fx%s", \
        at("io", "thread", 32), at("io", "process", 32), !have_python ? "" : sprintf( \
        "\nPython threads %.1fx\nPython processes %.1fx", at("io", "python-thread", 32), \
        at("io", "python-process", 32)))) . yours_at("io", 32, 1) at graph 0.97, graph 0.3 \
        right front
    plot x with lines lc rgb IDEAL lw 1.5 dt 3 notitle @C_SERIES @PY_SERIES @YOURS_SERIES
    unset label 1

    # CPU-bound: a counting task needs a core the whole time; past the cores, workers queue.
    W = "cpu"
    set lmargin at screen 0.56
    set rmargin at screen 0.98
    set title sprintf("CPU-bound: %s", fact(data, "cpu_work"))
    set label 2 sprintf("ideal: y = min(workers, %d cores)", cores) at 3, cores * 1.6 \
        norotate tc rgb IDEAL front
    set label 3 (!have_ref ? sprintf("at %d workers:", cores) : sprintf("at %d workers:\nC threads %.2fx\nC processes %.2fx%s", cores, \
        at("cpu", "thread", cores), at("cpu", "process", cores), !have_python ? "" : sprintf( \
        "\nPython threads %.2fx\nPython processes %.2fx", at("cpu", "python-thread", cores), \
        at("cpu", "python-process", cores)))) . yours_at("cpu", cores, 2) at graph 0.97, \
        graph 0.7 right front
    if (have_mpi) { set label 4 sprintf("MPI ranks past the %d cores share them: flat", cores) \
        at graph 0.97, graph 0.1 right tc rgb "#e377c2" front }
    plot ideal_cpu(x) with lines lc rgb IDEAL lw 1.5 dt 3 notitle \
        @C_SERIES @PY_SERIES @YOURS_SERIES @MPI_SERIES
    unset label 4
    unset label 2
    unset label 3
    unset multiplot
}

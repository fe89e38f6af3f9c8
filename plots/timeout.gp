# timeout.gp: how late a timeout fires: wait_for (lesson 04) with a task that checks its cancel
# token every 1 ms or every 0.1 ms, and fetch_with_timeout against latencyd's /stall. Reads
# plots/data/timeout.csv: series,timeout_ms,reps,median_ms,min_ms,max_ms (overshoots in ms), and,
# when `make plots` measured your lesson 04 too, plots/data/timeout-yours.csv (the same series,
# each named with " (yours)" after it), drawn as hollow marks beside the reference's.
load "plots/style.gpi"

data = chart_data("timeout")
yours = "plots/data/timeout-yours.csv"
have_ref = is_ref(data)
have_yours = have_ref && file_exists(yours) # in a handout, data is already yours
SUFFIX = have_ref ? "" : " (yours)" # the series' names in data
cores = int(fact(data, "cores"))
reps = int(fact(data, "reps"))

S_1MS = "wait_for (task polls 1 ms)"
S_100US = "wait_for (task polls 0.1 ms)"
S_FETCH = "fetch_with_timeout /stall"
# Orange, not green: green means "yours" in the other charts; here yours are the hollow marks.
C_POLL_FAST = "#ff7f0e"
# (An apostrophe in the plot command would hide the macro after it from gnuplot.)
FETCH_TITLE = "fetch_with_timeout of /stall (libcurl's CURLOPT_TIMEOUT_MS)"

# Rows of one series only, each series a little to the side so the bars do not hide each other.
pick(series, shift) = strcol(1) eq series ? column(2) * shift : NaN
BARS = 'using (pick(SERIES, SHIFT)):4:5:6 with yerrorbars'
# Your series: the same three, hollow, each just right of the reference's.
YOURS_SERIES = !have_yours ? "" : \
    ", SERIES = S_1MS . ' (yours)', SHIFT = 0.94, yours @BARS pt 6 ps 1 lc rgb C_THREAD " . \
    "title 'the same three, your code (hollow)', " . \
    "SERIES = S_100US . ' (yours)', SHIFT = 1.06, yours @BARS pt 4 ps 1 lc rgb C_POLL_FAST notitle, " . \
    "SERIES = S_FETCH . ' (yours)', SHIFT = 1.2, yours @BARS pt 8 ps 1.2 lc rgb C_PROCESS notitle"
WHOSE = !have_ref ? NO_REF : have_yours ? \
    "Filled marks: the reference solution's code. Hollow: yours (lessons/04-timeout)." : \
    "The reference solution's code; yours is added once make check passes lesson 04."

set logscale xy
set xrange [0.7:150]
set yrange [0.02:200]
set xtics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100)
set ytics ("0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, \
           "10" 10, "20" 20, "50" 50, "100" 100, "200" 200)
set grid xtics ytics
set xlabel "time limit (ms)"
set ylabel sprintf("returned this late after the deadline (ms): median of %d, min to max", reps)
set key bottom right box opaque

# wait_for returns once the task has noticed its token: the task's polling interval bounds it.
set arrow 1 from 0.7, 1 to 150, 1 nohead dt 2 lc rgb C_THREAD
set label 1 "a task that checks every 1 ms notices within 1 ms" at 0.75, 1.25 tc rgb C_THREAD font ",9"
set arrow 2 from 0.7, 0.1 to 150, 0.1 nohead dt 2 lc rgb C_POLL_FAST
set label 2 "every 0.1 ms" at 0.75, 0.125 tc rgb C_POLL_FAST font ",9"

do for [fmt in "png svg"] {
    W = 1100; H = 650; @TERMINAL
    set output "plots/timeout.".fmt
    set title sprintf("How late does a timeout fire? wait_for and fetch_with_timeout " . \
                      "(lesson 04), on %d cores\n%s\n%s", cores, machine(data), WHOSE) font ",13"
    plot SERIES = S_1MS . SUFFIX, SHIFT = 0.88, data @BARS pt 7 ps 1 lc rgb C_THREAD \
             title "wait_for, the task checks its cancel token every 1 ms", \
         SERIES = S_100US . SUFFIX, SHIFT = 1.0, data @BARS pt 5 ps 1 lc rgb C_POLL_FAST \
             title "wait_for, the task checks every 0.1 ms", \
         SERIES = S_FETCH . SUFFIX, SHIFT = 1.13, data @BARS pt 9 ps 1.2 lc rgb C_PROCESS \
             title FETCH_TITLE @YOURS_SERIES
}

# background.gp: when the ticks of a periodic task start: lesson 06's bg_start (an absolute
# schedule, tick k at start + k * period) beside a loop that sleeps a period after each tick's
# work, over the same 50 ticks of 10 ms, each working 3 ms. Reads plots/data/background.csv:
# series,slot,reps,due_ms,median_start_ms,median_late_ms,min_late_ms,max_late_ms (and
# plots/data/background-yours.csv, series "bg_start-yours", when `make plots` measured your
# lesson 06 too).
load "plots/style.gpi"

data = chart_data("background")
yours = "plots/data/background-yours.csv"
have_ref = is_ref(data) # in a handout, data is already yours: bg_start-yours alone
have_yours = have_ref && file_exists(yours)
S_YOURS = "bg_start-yours"
S_PY_SLEEP = "asyncio sleep(period)"
S_PY_ABS = "asyncio loop.time()"
python = fact(data, "python")
have_python = strstrt(python, "Python ") == 1
cores = int(fact(data, "cores"))
reps = int(fact(data, "reps"))
period = int(fact(data, "period_ms"))
work = int(fact(data, "work_ms"))
ticks = int(fact(data, "ticks"))

S_BG = have_ref ? "bg_start" : S_YOURS
S_SLEEP = "sleep after work" # the reference's run only
C_SLEEP = C_PROCESS

# Rows of one series only.
pick(series, col) = strcol(1) eq series ? column(col) : NaN
# The last slot's median start and lateness, per series, for the labels.
last(series, col) = real(system(sprintf("awk -F, '$1 == \"%s\" && $2 == %d { print $%d }' '%s'", \
                                        series, ticks, col, data)))
bg_end = last(S_BG, 5)
sleep_end = have_ref ? last(S_SLEEP, 5) : 0
bg_late = last(S_BG, 6)
sleep_late = have_ref ? last(S_SLEEP, 6) : 0

# The sleep-after-work loop: the reference's run measures it, yours does not (it is no one's
# lesson code, only the mistake to compare with).
LEFT_SLEEP = !have_ref ? "" : ', data using 2:(pick(S_SLEEP, 5)) with points pt 5 ps 0.7 ' . \
    'lc rgb C_SLEEP title "sleep(period) after each tick"'
RIGHT_SLEEP = !have_ref ? "" : ', data using 2:(pick(S_SLEEP, 6)):(pick(S_SLEEP, 7)):' . \
    '(pick(S_SLEEP, 8)) with yerrorbars pt 5 ps 0.5 lc rgb C_SLEEP title "sleep after work"'
BG_WHOSE = have_ref ? "" : " (yours)"

# Python's asyncio, the same two loops, where python3 was found.
LEFT_PY = !have_python ? "" : \
    ', data using 2:(pick(S_PY_ABS, 5)) with points pt 6 ps 0.8 lc rgb PY_THREAD ' . \
    'title "asyncio, loop.time() schedule", ' . \
    'data using 2:(pick(S_PY_SLEEP, 5)) with points pt 4 ps 0.7 lc rgb PY_PROCESS ' . \
    'title "asyncio, sleep(period) after each"'
RIGHT_PY = !have_python ? "" : \
    ', data using 2:(pick(S_PY_ABS, 6)) with points pt 6 ps 0.7 lc rgb PY_THREAD ' . \
    'title "asyncio, loop.time() (median)", ' . \
    'data using 2:(pick(S_PY_SLEEP, 6)) with points pt 4 ps 0.6 lc rgb PY_PROCESS ' . \
    'title "asyncio, sleep(period) (median)"'

# Your lesson 06 as one more series in each panel, where it was measured.
LEFT_YOURS = !have_yours ? "" : sprintf(', "%s" using 2:(pick(S_YOURS, 5)) with points ' . \
    'pt 9 ps 0.9 lc rgb YOURS_THREAD title "bg_start (yours)"', yours)
RIGHT_YOURS = !have_yours ? "" : sprintf(', "%s" using 2:(pick(S_YOURS, 6)):(pick(S_YOURS, 7)):' . \
    '(pick(S_YOURS, 8)) with yerrorbars pt 9 ps 0.7 lc rgb YOURS_THREAD ' . \
    'title "bg_start (yours)"', yours)

TITLE = sprintf("A tick every %d ms, each working %d ms: an absolute schedule vs sleeping " . \
                "after the work (lesson 06), on %d cores\n%s%s\n%s", period, work, cores, \
                machine(data), !have_ref ? "" : \
                have_python ? ", ".python : ", python3 not found: no asyncio series", \
                whose("06", have_ref, have_yours, "the green marks"))

do for [fmt in "png svg"] {
    W = 1200; H = 600; @TERMINAL
    set output "plots/background.".fmt
    set multiplot layout 1, 2 title TITLE font ",13"

    # Left: when each tick started, against the ideal line start + k * period.
    set title "when tick k started (median of ".reps." runs)"
    set xlabel "tick k"
    set ylabel "ms after the start"
    set xrange [0:ticks + 1]
    set yrange [0:*]
    set grid xtics ytics
    set key default
    set key bottom right box opaque font ",9" samplen 2
    if (have_ref) {
        set label 1 sprintf("%.0f ms", sleep_end) at ticks, sleep_end offset -1, 1 right \
            tc rgb C_SLEEP
    }
    set label 2 sprintf("%.0f ms", bg_end) at ticks, bg_end offset 0, -1.2 right tc rgb C_THREAD
    set key
    plot period * x with lines dt 2 lw 2 lc rgb IDEAL title "the schedule", \
         data using 2:(pick(S_BG, 5)) with points pt 7 ps 0.8 lc rgb C_THREAD \
             title "bg_start" . BG_WHOSE . ": start + k x period" @LEFT_SLEEP @LEFT_PY @LEFT_YOURS
    unset label 1
    unset label 2

    # Right: how late each tick started against its slot, log scale.
    set title "how late tick k started, against its slot (median; C: min to max)"
    set ylabel "ms late (log scale)"
    set logscale y
    set yrange [0.01:5000]
    set ytics ("0.01" 0.01, "0.1" 0.1, "1" 1, "10" 10, "100" 100, "1000" 1000)
    unset key # the same series, marked as on the left
    if (have_ref) {
        set label 3 sprintf("%.0f ms late by tick %d: %d ms a tick, added up", sleep_late, \
                            ticks, work) at 2, 2000 tc rgb C_SLEEP
    }
    set label 4 sprintf("%.2f ms late at tick %d: each late wake-up is paid once", bg_late, ticks) \
        at 2, 0.02 tc rgb C_THREAD
    plot data using 2:(pick(S_BG, 6)):(pick(S_BG, 7)):(pick(S_BG, 8)) with yerrorbars \
             pt 7 ps 0.6 lc rgb C_THREAD title "bg_start" . BG_WHOSE @RIGHT_SLEEP @RIGHT_PY \
         @RIGHT_YOURS
    unset logscale y
    unset label 3
    unset label 4
    unset multiplot
}

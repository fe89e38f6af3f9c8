# evloop.gp: what waiting costs: n concurrent 100 ms waits on one thread's event loop (lesson 09),
# on a thread each, and in Python's asyncio; and 1,000 concurrent HTTP requests driven by the
# loop against lesson 02's curl_multi_poll. Reads plots/data/evloop.csv:
# part,series,n,reps,median_s,min_s,max_s,median_mb,cpu_s; and your loop's series from
# plots/data/evloop-yours.csv, when `make plots` measured your lesson 09 too.
load "plots/style.gpi"

data = chart_data("evloop")
yours = "plots/data/evloop-yours.csv" # only when make plots measured your lesson 09 too
# In a handout, data is already yours: your loop's series alone, drawn where the reference's
# loop would be; the other series (threads, asyncio, curl_multi_poll) have no rows there.
have_ref = is_ref(data)
have_yours = have_ref && file_exists(yours)
SUFFIX = have_ref ? "" : "-yours"
# A title only for the reference's series, and only where they were measured.
ref_title(name) = have_ref ? name : ""
cores = int(fact(data, "cores"))
reps = int(fact(data, "reps"))
wait_s = real(fact(data, "wait_ms")) / 1000
delay_s = real(fact(data, "curl_delay_ms")) / 1000

S_LOOP = "C event loop (lesson 09)" . SUFFIX
# Your loop as a series of its own only beside the reference's (in a handout it is S_LOOP).
S_YOURS = have_ref ? "C event loop (lesson 09)-yours" : "none"
S_THREADS = "C thread per task"
S_PY = "Python asyncio"
S_EVCURL = "ev_fetch_all on the loop (lesson 09)" . SUFFIX
S_POLL = "curl_multi_poll (lesson 02's way)"
LOOP_C = YOURS_THREAD
python = fact(data, "python")

# Rows of one series of the "wait" part.
pick(series) = (strcol(1) eq "wait" && strcol(2) eq series) ? column(3) : NaN
TIMES = 'using (pick(SERIES)):($5 * 1000):($6 * 1000):($7 * 1000) with yerrorlines'
MEMORY = 'using (pick(SERIES)):($8 < 0.01 ? 0.01 : $8) with linespoints'
# The libcurl part: one bar per series, the milliseconds past the delay.
curl_row(series) = (strcol(1) eq "curl" && strcol(2) eq series)
curl_x(dummy) = curl_row(S_EVCURL) ? 0 : curl_row(S_POLL) ? 1 : NaN
over(col) = strcol(1) eq "curl" ? (column(col) - delay_s) * 1000 : NaN
cpu_ms(dummy) = strcol(1) eq "curl" ? column(9) * 1000 : NaN

TITLE = sprintf("What waiting costs: n tasks each waiting %.0f ms at once, on %d cores\n%s%s", \
                wait_s * 1000, cores, machine(data), \
                "\n" . whose("09", have_ref, have_yours, "the purple line"))
LOOP_TITLE = have_ref ? S_LOOP : "your event loop (lesson 09)"

do for [fmt in "png svg"] {
    W = 1500; H = 620; @TERMINAL
    set output "plots/evloop.".fmt
    set multiplot layout 1, 3 title TITLE font ",13"
    set bmargin 5

    set logscale xy
    set xrange [70:140000]
    set xtics ("100" 100, "1k" 1000, "10k" 10000, "100k" 100000)
    set xlabel "tasks waiting at once"
    set key top left box opaque font ",9"

    set title "Wall time until the last wait ends"
    if (have_ref && strstrt(python, "Python") != 1) {
        set label 2 "no Python series: ".python at graph 0.03, graph 0.75 font ",9"
    }
    set ylabel sprintf("ms (median of %d, min to max)", reps)
    set yrange [90:5000]
    set ytics ("100" 100, "120" 120, "150" 150, "200" 200, "300" 300, "500" 500, "1000" 1000, \
               "2000" 2000, "5000" 5000)
    set arrow 1 from 70, wait_s * 1000 to 140000, wait_s * 1000 nohead dt 2 lc rgb IDEAL
    set label 1 "the wait itself" at 3000, wait_s * 1000 * 0.95 tc rgb IDEAL font ",9"
    plot SERIES = S_LOOP, data @TIMES pt 7 lc rgb LOOP_C lw 2 title LOOP_TITLE, \
         SERIES = S_THREADS, data @TIMES pt 5 lc rgb C_THREAD lw 2 title ref_title(S_THREADS), \
         SERIES = S_PY, data @TIMES pt 9 lc rgb PY_THREAD lw 2 dt 2 title ref_title(S_PY), \
         SERIES = S_YOURS, (have_yours ? yours : data) @TIMES pt 11 lc rgb YOURS_PROCESS lw 2 \
             title (have_yours ? "your event loop" : "")
    unset arrow 1
    unset label 1
    unset label 2

    set title "Memory the waiting added (peak RSS)"
    set ylabel "MB (VmHWM minus VmRSS before, median)"
    set yrange [0.1:400]
    set ytics ("0.1" 0.1, "0.3" 0.3, "1" 1, "3" 3, "10" 10, "30" 30, "100" 100, "300" 300)
    plot SERIES = S_LOOP, data @MEMORY pt 7 lc rgb LOOP_C lw 2 title LOOP_TITLE, \
         SERIES = S_THREADS, data @MEMORY pt 5 lc rgb C_THREAD lw 2 title ref_title(S_THREADS), \
         SERIES = S_PY, data @MEMORY pt 9 lc rgb PY_THREAD lw 2 dt 2 title ref_title(S_PY), \
         SERIES = S_YOURS, (have_yours ? yours : data) @MEMORY pt 11 lc rgb YOURS_PROCESS lw 2 \
             title (have_yours ? "your event loop" : "")

    unset logscale
    set title sprintf("1,000 GETs of /delay/%.0f at once, on one thread", delay_s * 1000)
    set xrange [-0.7:4.2]
    set xtics ("time past\nthe delay" 0.5, "CPU time of\nthe thread" 3) scale 0
    unset xlabel
    set ylabel sprintf("ms (median of %d; the bars: min to max)", reps)
    set yrange [0:*]
    set ytics autofreq
    set style fill solid 0.8 border -1
    set boxwidth 0.8
    set key top center box opaque font ",9"
    set offsets 0, 0, graph 0.3, 0
    plot data using (curl_row(S_EVCURL) ? 0 : NaN):(over(5)) with boxes lc rgb LOOP_C \
             title (have_ref ? "socket_action on the loop (09)" : "yours: socket_action on the loop (09)"), \
         data using (curl_row(S_POLL) ? 1 : NaN):(over(5)) with boxes lc rgb C_THREAD \
             title ref_title("perform + poll (02)"), \
         data using (curl_x(0)):(over(5)):(over(6)):(over(7)) with yerrorbars \
             lc rgb "#333333" pt 0 notitle, \
         data using (curl_x(0)):(over(7)):(sprintf("%.0f", over(5))) with labels \
             offset 0, 0.8 font ",10" notitle, \
         data using (curl_row(S_EVCURL) ? 2.5 : NaN):(cpu_ms(0)) with boxes lc rgb LOOP_C \
             notitle, \
         data using (curl_row(S_POLL) ? 3.5 : NaN):(cpu_ms(0)) with boxes lc rgb C_THREAD \
             notitle, \
         data using (curl_x(0) + 2.5):(cpu_ms(0)):(sprintf("%.0f", cpu_ms(0))) with labels \
             offset 0, 0.8 font ",10" notitle
    unset multiplot
}

/* sweep.h: find, count and kill processes through /proc. Internal to the runner. */
#ifndef H_SWEEP_H
#define H_SWEEP_H

#include <stdint.h>
#include <sys/types.h>

/* Kills with SIGKILL every live process in process group pgid, and every live child of this
 * process other than except (orphans land here: see h_isolate_init). Returns how many it
 * found, or a negative errno if /proc cannot be read. Zombies are not counted. */
int h_sweep(pid_t pgid, pid_t except);

#endif

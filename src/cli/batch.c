/* batch.c — batch mode of the default command: blur --sigma S -o OUTDIR IN...
 *
 * Three steps. Collect: walk the arguments (and --files-from) into a list of tasks, each an
 * input and the output it maps to, deciding up front which are skipped (output exists) or
 * already failed (missing, no writable extension, two inputs for one output), so the progress
 * bar counts only real work. Run: a pool of worker threads takes tasks in order and calls the
 * command's per-image function; one mutex guards the counters and everything printed, so lines
 * never interleave and the bar is redrawn under the messages. The main thread ticks the bar
 * and takes the signals. Report: the summary, and the exit status.
 *
 * Threads: jobs × filter threads ≤ cores. Whole images in parallel scale best (decoding and
 * encoding, which the filter's own threads do not help, run in parallel too, and nothing is
 * shared), so --jobs defaults to the cores, and the filter gets the cores left over:
 * max(1, cores / jobs), where jobs is never more than the images to do. A batch of fewer images
 * than cores thus still uses every core. An explicit --threads is obeyed as given. Cores are
 * the CPUs this process may run on (sched_getaffinity), which respects taskset, cgroups and
 * Slurm's allocation.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken by the main thread
 * (sigtimedwait), so no handler runs while workers are writing. The first stops handing out
 * images, lets those in progress finish (their outputs are complete, atomically renamed), prints
 * the summary and dies of the signal; a second one removes the temporary files in flight and
 * dies at once. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    OPT_SUFFIX = CLI_BATCH_OPT,
    OPT_FORMAT,
    OPT_JOBS,
    OPT_FORCE,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_FILES_FROM,
    OPT_NULL,
};

#define MAX_JOBS 256 /* output.c tracks 256 writes in flight for the signal handler */

int cli_batch_option(cli_batch *batch, int c, const char *arg)
{
    /* batch mode's options but -o, for the single-file form to refuse */
    static const char *const names[] = {
        [OPT_SUFFIX - CLI_BATCH_OPT] = "--suffix",   [OPT_FORMAT - CLI_BATCH_OPT] = "--format",
        [OPT_JOBS - CLI_BATCH_OPT] = "--jobs",       [OPT_FORCE - CLI_BATCH_OPT] = "--force",
        [OPT_QUIET - CLI_BATCH_OPT] = "--quiet",     [OPT_VERBOSE - CLI_BATCH_OPT] = "--verbose",
        [OPT_FILES_FROM - CLI_BATCH_OPT] = "--files-from", [OPT_NULL - CLI_BATCH_OPT] = "--null",
    };
    if (!batch->first_option && c == 'r') batch->first_option = "--recursive";
    if (!batch->first_option && c >= CLI_BATCH_OPT && c <= OPT_NULL)
        batch->first_option = names[c - CLI_BATCH_OPT];
    long number;
    blur_format format;
    switch (c) {
    case 'o': batch->output_dir = arg; return 1;
    case 'r': batch->recursive = true; return 1;
    case OPT_SUFFIX:
        if (strchr(arg, '/')) {
            cli_error("--suffix: must not contain '/', got '%s'", arg);
            return -1;
        }
        batch->suffix = arg;
        return 1;
    case OPT_FORMAT:
        if (blur_format_from_name(arg, &format) != BLUR_OK) {
            cli_error("--format: expected png, jpg, jpeg, bmp, tga or hdr, got '%s'", arg);
            return -1;
        }
        batch->format = arg;
        return 1;
    case OPT_JOBS:
        if (!cli_parse_long("--jobs", arg, 1, MAX_JOBS, &number)) return -1;
        batch->jobs = (unsigned)number;
        return 1;
    case OPT_FORCE: batch->force = true; return 1;
    case OPT_QUIET: batch->quiet = true; return 1;
    case OPT_VERBOSE: batch->verbose = true; return 1;
    case OPT_FILES_FROM: batch->files_from = arg; return 1;
    case OPT_NULL: batch->null_separated = true; return 1;
    default: return 0;
    }
}

void cli_batch_usage(FILE *to)
{
    fputs("\n"
          "Batch mode: blur --sigma S -o OUTDIR IN... [options]\n"
          "Blurs every IN file, and the images (by extension) in every IN directory, into\n"
          "OUTDIR, keeping each input's path relative to its argument. Existing outputs are\n"
          "skipped, so an interrupted batch finishes when run again. All options above apply;\n"
          "those below but -o are batch mode's alone (refused without -o).\n"
          "  -o, --output-dir DIR write the outputs under DIR (created when missing)\n"
          "  -r, --recursive      walk directories (without it a directory is an error)\n"
          "      --suffix S       add S to each output name: a.png -> aS.png\n"
          "      --format F       write format F (png, jpg, bmp, tga, hdr) whatever the input\n"
          "      --jobs N         images at once (default: one per core); the filter gets\n"
          "                       max(1, cores / jobs) threads unless --threads is given\n"
          "      --force          redo images whose output exists\n"
          "      --files-from F   read more inputs from file F ('-' = standard input), one a\n"
          "                       line; the output keeps the path as listed\n"
          "      --null           names in --files-from end with NUL, not newline\n"
          "      --quiet          print only errors (and the summary if any)\n"
          "      --verbose        also print skipped files, times and the thread split\n"
          "On a terminal, stderr shows a progress bar; otherwise one line per image.\n"
          "Exit status 1 if any image failed. SIGINT/SIGTERM: the images in progress finish,\n"
          "then blur stops; a second signal stops at once.\n",
          to);
}

int cli_batch_inputs(cli_batch *batch, int count, char **inputs)
{
    if (count == 0 && !batch->files_from) {
        cli_error("expected IN files or directories, or --files-from (see blur --help)");
        return EXIT_USAGE;
    }
    batch->inputs = inputs;
    batch->input_count = count;
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Collect                                                                                   */
/* ---------------------------------------------------------------------------------------- */

typedef enum task_state { TASK_TODO, TASK_SKIP, TASK_FAIL } task_state;

typedef struct task {
    char *in, *out;
    task_state state;
    char *problem; /* TASK_FAIL: the message, without "blur: " */
} task;

struct cli_batch_list {
    task *tasks;
    size_t count, cap;
    dev_t out_dev; /* OUTDIR, never walked into */
    ino_t out_ino;
    bool have_out;
    bool nomem;
};

/* Files a directory walk takes, by extension (case-insensitive): what blur_image_read reads. */
static const char *const image_extensions[] = {
    "png", "jpg", "jpeg", "jpe", "bmp", "tga", "gif", "psd", "hdr", "pnm", "ppm", "pgm",
};

static const char *extension_of(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : NULL;
}

static bool is_image_name(const char *name)
{
    const char *ext = extension_of(name);
    if (!ext) return false;
    for (size_t i = 0; i < sizeof image_extensions / sizeof image_extensions[0]; i++)
        if (strcasecmp(ext, image_extensions[i]) == 0) return true;
    return false;
}

/* printf into a new string; NULL when out of memory. */
static char *format_string(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_string(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static task *new_task(struct cli_batch_list *list, const char *in)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        task *grown = cap > SIZE_MAX / sizeof *grown ? NULL
                                                     : realloc(list->tasks, cap * sizeof *grown);
        if (!grown) {
            list->nomem = true;
            return NULL;
        }
        list->tasks = grown;
        list->cap = cap;
    }
    task *t = &list->tasks[list->count];
    *t = (task){strdup(in), NULL, TASK_TODO, NULL};
    if (!t->in) {
        list->nomem = true;
        return NULL;
    }
    list->count++;
    return t;
}

static void fail_task(struct cli_batch_list *list, task *t, char *problem)
{
    t->state = TASK_FAIL;
    t->problem = problem;
    if (!problem) list->nomem = true;
}

/* Adds input `in` whose path relative to its argument is `rel`: the output is
 * OUTDIR/rel with the suffix before the extension, and --format's extension if given. */
static void add_file(const cli_batch *batch, struct cli_batch_list *list, const char *in,
                     const char *rel)
{
    task *t = new_task(list, in);
    if (!t) return;
    const char *ext = extension_of(rel);
    size_t stem = ext ? (size_t)(ext - 1 - rel) : strlen(rel);
    const char *new_ext = batch->format ? batch->format : ext;
    if (batch->format) {
        blur_format format;
        if (blur_format_from_name(batch->format, &format) == BLUR_OK)
            new_ext = blur_format_extension(format);
    }
    t->out = format_string("%s/%.*s%s%s%s", batch->output_dir, (int)stem, rel,
                           batch->suffix ? batch->suffix : "", new_ext ? "." : "",
                           new_ext ? new_ext : "");
    if (!t->out) {
        fail_task(list, t, NULL);
        return;
    }
    blur_format format;
    if (blur_format_from_path(t->out, &format) != BLUR_OK) {
        fail_task(list, t,
                  format_string("%s: cannot write %s%s files; use --format png (or jpg, ...)",
                                in, ext ? "." : "", ext ? ext : "extension-less"));
        return;
    }
    struct stat st;
    /* Outputs are written atomically, so one that exists is complete. A directory in the way
     * is no output: it fails when written, rather than being skipped in silence. */
    if (!batch->force && stat(t->out, &st) == 0 && !S_ISDIR(st.st_mode)) t->state = TASK_SKIP;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks directory `dir` (rel: its path relative to the argument, "" at the top), in name
 * order. Hidden entries are left out; symbolic links to files are followed, to directories
 * not (as find does), so a walk cannot loop. */
static void walk(const cli_batch *batch, struct cli_batch_list *list, const char *dir,
                 const char *rel)
{
    DIR *d = opendir(dir);
    if (!d) {
        int saved = errno;
        task *t = new_task(list, dir);
        if (t) fail_task(list, t, format_string("%s: cannot open directory: %s", dir,
                                                strerror(saved)));
        return;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) break;
            names = grown;
        }
        if (!(names[count] = strdup(e->d_name))) break;
        count++;
    }
    if (e) list->nomem = true;
    closedir(d);
    if (count) qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count && !list->nomem; i++) {
        char *path = format_string("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                                   names[i]);
        char *sub = format_string("%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        if (!path || !sub) {
            list->nomem = true;
        } else if (lstat(path, &st) != 0) {
            /* vanished meanwhile: nothing to do */
        } else if (S_ISDIR(st.st_mode)) {
            bool is_out = list->have_out && st.st_dev == list->out_dev &&
                          st.st_ino == list->out_ino;
            if (batch->recursive && !is_out) walk(batch, list, path, sub);
        } else if (is_image_name(names[i]) &&
                   (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
                                            S_ISREG(st.st_mode)))) {
            add_file(batch, list, path, sub);
        }
        free(path);
        free(sub);
    }
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
}

/* The path of an input as listed, made relative and tidy: "./a//b" -> "a/b", "/x/y" -> "x/y".
 * NULL when it holds "..", which would lead out of OUTDIR. */
static char *listed_path(const char *path, bool *dotdot)
{
    char *rel = malloc(strlen(path) + 1);
    if (!rel) return NULL;
    size_t n = 0;
    *dotdot = false;
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') *dotdot = true;
        if (len && !(len == 1 && p[0] == '.')) {
            if (n) rel[n++] = '/';
            memcpy(rel + n, p, len);
            n += len;
        }
        p += len;
    }
    rel[n] = '\0';
    return rel;
}

/* Adds one input: a file, or a directory (walked with -r, an error without). `rel_from_path`:
 * the output keeps the path as given (--files-from), else only the file's name (an argument).
 * Returns false on a usage error (reported). */
static bool add_input(const cli_batch *batch, struct cli_batch_list *list, const char *in,
                      bool rel_from_path)
{
    struct stat st;
    if (strcmp(in, "-") == 0) {
        cli_error("-: standard input cannot be an input of batch mode (see --files-from)");
        return false;
    }
    if (stat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!batch->recursive) {
            cli_error("%s: is a directory (use -r to blur the images in it)", in);
            return false;
        }
        if (list->have_out && st.st_dev == list->out_dev && st.st_ino == list->out_ino) {
            /* Its outputs would be taken as inputs by the next run. */
            cli_error("%s: is the output directory too (give -o another directory)", in);
            return false;
        }
        bool dotdot = false;
        char *rel = rel_from_path ? listed_path(in, &dotdot) : strdup("");
        if (!rel) list->nomem = true;
        else if (dotdot) {
            task *t = new_task(list, in);
            if (t) fail_task(list, t, format_string("%s: a listed path must not contain '..'",
                                                    in));
        } else
            walk(batch, list, in, rel);
        free(rel);
        return true;
    }
    bool dotdot = false;
    char *rel;
    if (rel_from_path) {
        rel = listed_path(in, &dotdot);
    } else {
        const char *slash = strrchr(in, '/');
        rel = strdup(slash ? slash + 1 : in);
    }
    if (!rel) {
        list->nomem = true;
    } else if (dotdot || !*rel) {
        task *t = new_task(list, in);
        if (t) fail_task(list, t, format_string("%s: %s", in, dotdot
                                                    ? "a listed path must not contain '..'"
                                                    : "not a file name"));
    } else {
        /* A missing or unreadable file fails when it is read, with the system's reason. */
        add_file(batch, list, in, rel);
    }
    free(rel);
    return true;
}

static bool read_files_from(const cli_batch *batch, struct cli_batch_list *list)
{
    bool from_stdin = strcmp(batch->files_from, "-") == 0;
    FILE *fp = from_stdin ? stdin : fopen(batch->files_from, "r");
    if (!fp) {
        cli_error("--files-from: %s: %s", batch->files_from, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool ok = true;
    int delim = batch->null_separated ? '\0' : '\n';
    while (ok && !list->nomem && (len = getdelim(&line, &cap, delim, fp)) > 0) {
        if (line[len - 1] == delim) line[--len] = '\0';
        if (len == 0) continue;
        ok = add_input(batch, list, line, true);
    }
    if (ok && ferror(fp)) {
        cli_error("--files-from: %s: %s", batch->files_from, strerror(errno));
        ok = false;
    }
    free(line);
    if (!from_stdin) fclose(fp);
    return ok;
}

static int compare_outputs(const void *a, const void *b)
{
    const task *x = *(task *const *)a, *y = *(task *const *)b;
    int c = strcmp(x->out ? x->out : "", y->out ? y->out : "");
    /* Equal outputs keep list order, so the first listed is the one that runs. */
    return c ? c : (x < y ? -1 : x > y);
}

/* Two inputs for one output: the later ones fail, naming the first. The same input listed
 * twice is just done once. */
static void find_duplicates(struct cli_batch_list *list)
{
    if (list->count < 2) return;
    task **order = malloc(list->count * sizeof *order);
    if (!order) {
        list->nomem = true;
        return;
    }
    for (size_t i = 0; i < list->count; i++) order[i] = &list->tasks[i];
    qsort(order, list->count, sizeof *order, compare_outputs);
    for (size_t i = 1, first = 0; i < list->count; i++) {
        task *t = order[i], *f = order[first];
        if (!t->out || !f->out || strcmp(t->out, f->out) != 0) {
            first = i;
            continue;
        }
        if (t->state == TASK_FAIL) continue;
        if (strcmp(t->in, f->in) == 0) {
            t->state = TASK_SKIP; /* counted as skipped; says so with --verbose */
            free(t->problem);
            t->problem = format_string("%s: listed twice", t->in);
        } else {
            fail_task(list, t, format_string("%s: same output %s as %s", t->in, t->out, f->in));
        }
    }
    free(order);
}

/* Number of CPUs this process may use. */
static unsigned available_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static size_t count_state(const struct cli_batch_list *list, task_state state)
{
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++) n += list->tasks[i].state == state;
    return n;
}

void cli_batch_free(cli_batch *batch)
{
    struct cli_batch_list *list = batch->list;
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->tasks[i].in);
        free(list->tasks[i].out);
        free(list->tasks[i].problem);
    }
    free(list->tasks);
    free(list);
    batch->list = NULL;
}

int cli_batch_prepare(cli_batch *batch, unsigned *filter_threads)
{
    struct cli_batch_list *list = calloc(1, sizeof *list);
    if (!list) {
        cli_error("out of memory");
        return EXIT_FAIL;
    }
    batch->list = list;
    struct stat st;
    if (stat(batch->output_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            cli_error("%s: not a directory (-o names the output directory)", batch->output_dir);
            goto usage;
        }
        list->have_out = true;
        list->out_dev = st.st_dev;
        list->out_ino = st.st_ino;
    }
    for (int i = 0; i < batch->input_count; i++)
        if (!add_input(batch, list, batch->inputs[i], false)) goto usage;
    if (batch->files_from && !read_files_from(batch, list)) goto usage;
    find_duplicates(list);
    if (list->nomem) {
        cli_error("out of memory");
        cli_batch_free(batch);
        return EXIT_FAIL;
    }

    size_t todo = count_state(list, TASK_TODO);
    unsigned cores = available_cores();
    unsigned jobs = batch->jobs ? batch->jobs : cores;
    if (jobs > todo) jobs = todo ? (unsigned)todo : 1;
    if (jobs > MAX_JOBS) jobs = MAX_JOBS;
    batch->jobs = jobs;
    if (*filter_threads == 0) *filter_threads = cores / jobs ? cores / jobs : 1;
    if (batch->verbose)
        cli_error("batch: %zu to do, %zu skipped, %zu failed before starting; %u cores: %u jobs x "
                  "%u filter threads",
                  todo, count_state(list, TASK_SKIP), count_state(list, TASK_FAIL), cores, jobs,
                  *filter_threads);
    return -1;
usage:
    cli_batch_free(batch);
    return EXIT_USAGE;
}

/* ---------------------------------------------------------------------------------------- */
/* Run                                                                                       */
/* ---------------------------------------------------------------------------------------- */

typedef struct runner {
    cli_batch *batch;
    cli_image_fn fn;
    void *ctx;
    pthread_mutex_t lock; /* guards everything below, and stderr */
    pthread_cond_t changed;
    size_t next;          /* the next task to hand out */
    size_t total, done, succeeded, failed, skipped;
    size_t drawn;         /* done when the bar was last drawn */
    unsigned running;     /* workers still in their loop */
    bool stopping;        /* a signal came: hand out nothing more */
    bool tty, bar_shown;
    double start, last_draw;
} runner;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void format_duration(char *buf, size_t size, double seconds)
{
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

/* Draws the bar in place: "blur: [=====>    ]  57/300  19%  8.3 img/s  ETA 0:29  2 failed".
 * Kept narrower than the terminal, since a wrapped line cannot be redrawn with \r. */
static void draw_bar(runner *r)
{
    double elapsed = now() - r->start;
    double rate = elapsed > 0 ? (double)r->done / elapsed : 0;
    char eta[32] = "--:--", right[160];
    if (r->done > 0 && rate > 0) format_duration(eta, sizeof eta, (double)(r->total - r->done) / rate);
    char failed[40] = "";
    if (r->failed) snprintf(failed, sizeof failed, "  %zu failed", r->failed);
    int pct = r->total ? (int)(100 * r->done / r->total) : 100;
    int digits = snprintf(NULL, 0, "%zu", r->total);
    /* Fixed widths, so the bar does not jump as the numbers change. */
    int fixed = snprintf(right, sizeof right, " %*zu/%zu %3d%% %6.1f img/s  ETA %-7s", digits,
                         r->done, r->total, pct, rate, eta);
    snprintf(right + fixed, sizeof right - (size_t)fixed, "%s", failed);
    struct winsize ws;
    int cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
    int width = cols - 1 - fixed - 16 - 8; /* room for "  N failed", "blur: [" and "]" */
    if (width > 40) width = 40;
    char bar[48] = "";
    if (width >= 5) {
        int fill = r->total ? (int)((size_t)width * r->done / r->total) : width;
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[width] = '\0';
        fprintf(stderr, "\rblur: [%s]%s\033[K", bar, right);
    } else {
        fprintf(stderr, "\rblur:%s\033[K", right);
    }
    r->bar_shown = true;
    r->drawn = r->done;
    r->last_draw = now();
}

/* Prints one line above the bar (lock held). */
static void print_line(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void print_line(runner *r, const char *fmt, ...)
{
    if (r->bar_shown) fputs("\r\033[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    cli_verror(fmt, ap);
    va_end(ap);
    if (r->bar_shown) draw_bar(r);
}

static void *worker(void *arg)
{
    runner *r = arg;
    cli_batch *batch = r->batch;
    task *tasks = batch->list->tasks;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->next < batch->list->count && tasks[r->next].state != TASK_TODO) r->next++;
        if (r->stopping || r->next >= batch->list->count) break;
        task *t = &tasks[r->next++];
        pthread_mutex_unlock(&r->lock);

        double t0 = now();
        const char *failed = t->out;
        blur_error err = BLUR_OK;
        int errnum = 0;
        char message[4096 + 256];
        /* The output's directory, made as needed (EEXIST: another worker was first). */
        char *slash = t->out;
        while ((slash = strchr(slash + 1, '/')) != NULL) {
            *slash = '\0';
            int made = mkdir(t->out, 0777) == 0 || errno == EEXIST;
            if (!made) snprintf(message, sizeof message, "%s: cannot create directory: %s",
                                t->out, strerror(errno));
            *slash = '/';
            if (!made) {
                err = BLUR_ERR_OPEN;
                break;
            }
        }
        if (!err) {
            err = r->fn(r->ctx, t->in, t->out, &failed);
            errnum = errno;
            if (err) cli_file_message(message, sizeof message, failed, err, errnum);
        }
        double seconds = now() - t0;

        pthread_mutex_lock(&r->lock);
        r->done++;
        if (err) {
            r->failed++;
            print_line(r, "%s", message);
        } else {
            r->succeeded++;
            if (batch->verbose)
                print_line(r, "[%zu/%zu] %s -> %s (%.2f s)", r->done, r->total, t->in, t->out,
                           seconds);
            else if (!batch->quiet && !r->tty)
                print_line(r, "[%zu/%zu] %s -> %s", r->done, r->total, t->in, t->out);
        }
        pthread_cond_signal(&r->changed);
    }
    r->running--;
    pthread_cond_signal(&r->changed);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Dies of sig as the shell expects (status 128 + sig), the default action restored. */
static void die_of(int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    signal(sig, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

int cli_batch_run(cli_batch *batch, cli_image_fn fn, void *ctx)
{
    struct cli_batch_list *list = batch->list;
    runner r = {.batch = batch, .fn = fn, .ctx = ctx};
    r.tty = !batch->quiet && isatty(STDERR_FILENO);
    r.total = count_state(list, TASK_TODO);
    r.skipped = count_state(list, TASK_SKIP);
    r.start = now();
    pthread_mutex_init(&r.lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r.changed, &attr);
    pthread_condattr_destroy(&attr);

    /* What failed before any work: reported first, in list order. */
    for (size_t i = 0; i < list->count; i++) {
        task *t = &list->tasks[i];
        if (t->state == TASK_FAIL) {
            r.failed++;
            print_line(&r, "%s", t->problem);
        } else if (t->state == TASK_SKIP && batch->verbose) {
            if (t->problem) print_line(&r, "%s, done once", t->problem);
            else print_line(&r, "%s: skipped, %s exists (--force redoes it)", t->in, t->out);
        }
    }

    sigset_t signals, old;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, &old);

    pthread_t threads[MAX_JOBS];
    unsigned started = 0;
    pthread_mutex_lock(&r.lock);
    if (r.tty && r.total) draw_bar(&r);
    for (; r.total && started < batch->jobs; started++) {
        if (pthread_create(&threads[started], NULL, worker, &r) != 0) break;
        r.running++;
    }
    if (r.total && started == 0) {
        pthread_mutex_unlock(&r.lock);
        cli_error("cannot start a thread");
        cli_batch_free(batch);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return EXIT_FAIL;
    }
    int interrupted = 0;
    while (r.running > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 100 * 1000 * 1000; /* the bar's tick, and the signals' latency */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r.changed, &r.lock, &until);
        if (r.tty && (now() - r.last_draw >= 0.5 || (r.done != r.drawn && now() - r.last_draw >= 0.1)))
            draw_bar(&r);
        struct timespec zero = {0, 0};
        int sig = sigtimedwait(&signals, NULL, &zero);
        if (sig <= 0) continue;
        if (interrupted) { /* the second signal: stop now */
            if (r.bar_shown) fputs("\n", stderr);
            blur_remove_temporary_files();
            die_of(sig);
        }
        interrupted = sig;
        r.stopping = true;
        if (r.running && !batch->quiet)
            print_line(&r, "%s: finishing the image(s) in progress; again to stop at once",
                       strsignal(sig));
    }
    pthread_mutex_unlock(&r.lock);
    for (unsigned i = 0; i < started; i++) pthread_join(threads[i], NULL);
    if (r.tty && r.total) {
        draw_bar(&r);
        fputc('\n', stderr);
        r.bar_shown = false;
    }

    size_t not_started = r.total - r.done;
    if (!batch->quiet || r.failed) {
        double seconds = now() - r.start;
        char took[32];
        if (seconds < 60) snprintf(took, sizeof took, "%.1f s", seconds);
        else format_duration(took, sizeof took, seconds);
        if (interrupted)
            cli_error("interrupted: %zu succeeded, %zu failed, %zu skipped, %zu not done "
                      "(run again to finish)",
                      r.succeeded, r.failed, r.skipped, not_started);
        else
            cli_error("%zu succeeded, %zu failed, %zu skipped in %s", r.succeeded, r.failed,
                      r.skipped, took);
    }
    pthread_cond_destroy(&r.changed);
    pthread_mutex_destroy(&r.lock);
    cli_batch_free(batch);
    if (interrupted) die_of(interrupted);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return r.failed ? EXIT_FAIL : EXIT_OK;
}

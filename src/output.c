/* output.c — files written so that nothing is ever half-written: a regular file goes to a
 * temporary file in the target's directory and is renamed into place only when complete;
 * devices, FIFOs and standard output (where a rename would be wrong, and over /dev/null as root
 * disastrous) are written directly. Temporary files in flight are listed so that a signal
 * handler can remove them. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct blur__output {
    FILE *fp;
    char *final_path; /* NULL when writing directly */
    char *temp_path;
    int slot;         /* index in the in-flight list, or -1 */
    bool is_stdout;
};

/* In-flight temporary files, for blur_remove_temporary_files. Each slot holds a malloc'd path
 * or NULL; the signal handler only reads them and calls unlink, which is async-signal-safe. */
#define MAX_IN_FLIGHT 256
static char *_Atomic in_flight[MAX_IN_FLIGHT];

static int register_temp(char *path)
{
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&in_flight[i], &expected, path)) return i;
    }
    return -1; /* more than 256 writes at once: still atomic, just not cleaned on a signal */
}

static void unregister_temp(int slot)
{
    if (slot >= 0) atomic_store(&in_flight[slot], NULL);
}

void blur_remove_temporary_files(void)
{
    for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        char *path = atomic_load(&in_flight[i]);
        if (path) unlink(path);
    }
}

/* Opens a new temporary file beside final_path, named .NAME.XXXXXX.tmp (NAME cut short where
 * the whole would pass the 255 bytes a file name may have), exclusively, with the permissions a
 * new file would get (0666 less the umask), or, replacing a file (`replaced`), that file's: a
 * private file must not come back readable by all. */
static blur_error open_temp(blur__output *out, const struct stat *replaced)
{
    const char *slash = strrchr(out->final_path, '/');
    size_t dir_len = slash ? (size_t)(slash - out->final_path) + 1 : 0;
    const char *base = out->final_path + dir_len;
    enum { NAME_BYTES = 255, TEMP_EXTRA = sizeof "..XXXXXX.tmp" - 1 };
    const int base_len = (int)(strlen(base) < NAME_BYTES - TEMP_EXTRA ? strlen(base)
                                                                      : NAME_BYTES - TEMP_EXTRA);
    size_t size = strlen(out->final_path) + 32;
    out->temp_path = malloc(size);
    if (!out->temp_path) return BLUR_ERR_NOMEM;
    static _Atomic unsigned long counter;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned long salt = ((unsigned long)getpid() << 16) ^ (unsigned long)time(NULL) ^
                             atomic_fetch_add(&counter, 1) * 2654435761UL;
        snprintf(out->temp_path, size, "%.*s.%.*s.%06lx.tmp", (int)dir_len, out->final_path,
                 base_len, base, salt & 0xffffff);
        /* The CLI's handlers for these signals remove registered files: hold them off between
         * creating the file and registering it, so an interrupt then cannot leave it behind. */
        sigset_t block, saved_mask;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &block, &saved_mask);
        int fd = open(out->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) out->slot = register_temp(out->temp_path);
        int open_errno = errno;
        pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
        errno = open_errno;
        if (fd < 0) {
            if (errno == EEXIST) continue;
            return BLUR_ERR_OPEN;
        }
        blur_error err = BLUR_OK;
        if (replaced && fchmod(fd, replaced->st_mode & 07777) != 0) err = BLUR_ERR_OPEN;
        else if (!(out->fp = fdopen(fd, "wb"))) err = BLUR_ERR_NOMEM;
        if (err) { /* the file goes again, and errno says why */
            int saved = errno;
            close(fd);
            unlink(out->temp_path);
            unregister_temp(out->slot);
            out->slot = -1;
            errno = saved;
        }
        return err;
    }
    errno = EEXIST;
    return BLUR_ERR_OPEN;
}

blur_error blur__output_open(const char *path, blur__output **result)
{
    *result = NULL;
    if (!path || !*path) return BLUR_ERR_INVALID;
    blur__output *out = calloc(1, sizeof *out);
    if (!out) return BLUR_ERR_NOMEM;
    out->slot = -1;
    blur_error err = BLUR_OK;
    struct stat st;
    const bool exists = strcmp(path, "-") != 0 && stat(path, &st) == 0;
    if (strcmp(path, "-") == 0) {
        out->fp = stdout;
        out->is_stdout = true;
    } else if (exists && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            err = BLUR_ERR_OPEN;
        } else if (!(out->fp = fopen(path, "wb"))) {
            err = BLUR_ERR_OPEN;
        }
    } else {
        /* Through a symlink, replace what it points to, not the link itself. */
        char *resolved = realpath(path, NULL);
        out->final_path = resolved ? resolved : strdup(path);
        if (!out->final_path) err = BLUR_ERR_NOMEM;
        else err = open_temp(out, exists ? &st : NULL);
    }
    if (err) {
        int saved = errno;
        free(out->final_path);
        free(out->temp_path);
        free(out);
        errno = saved;
        return err;
    }
    *result = out;
    return BLUR_OK;
}

FILE *blur__output_stream(blur__output *out) { return out->fp; }

static void output_release(blur__output *out)
{
    unregister_temp(out->slot);
    free(out->final_path);
    free(out->temp_path);
    free(out);
}

blur_error blur__output_commit(blur__output *out)
{
    blur_error err = BLUR_OK;
    if (out->is_stdout) {
        if (fflush(out->fp) != 0 || ferror(out->fp)) err = BLUR_ERR_WRITE;
        output_release(out);
        return err;
    }
    int failed = fflush(out->fp) != 0 || ferror(out->fp);
    if (!failed && out->temp_path) failed = fsync(fileno(out->fp)) != 0;
    int saved = errno;
    if (fclose(out->fp) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && out->temp_path && rename(out->temp_path, out->final_path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed && out->temp_path) unlink(out->temp_path);
    output_release(out);
    errno = saved;
    return failed ? BLUR_ERR_WRITE : BLUR_OK;
}

void blur__output_abort(blur__output *out)
{
    if (!out) return;
    int saved = errno;
    if (out->is_stdout) fflush(out->fp);
    else fclose(out->fp);
    if (out->temp_path) unlink(out->temp_path);
    output_release(out);
    errno = saved;
}

/* docbench: the file side of bench/documents.sh, one client for every
 * path (native, each portal's /ID/NAME, each portal's by-app view) so the
 * only difference between columns is the file system underneath.
 *
 *   docbench mkfiles DIR COUNT SIZE      write COUNT files DIR/fNNNN.dat, print their paths
 *   docbench export APP < PATHS          AddFull (16 fds a message), then GrantPermissions
 *                                        APP read on each; print one doc id per path
 *   docbench read PATH                   one sequential read, 1 MiB read(2)s; print GB/s
 *   docbench stat PASSES < PATHS         stat(2) every path; print µs per file, a line per pass
 *   docbench open PASSES SIZE < PATHS    open+read(SIZE)+close every path; µs per file per pass
 *   docbench verify LIST_A LIST_B        byte-compare the files of two lists, pairwise
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define DEST "org.freedesktop.portal.Documents"
#define OBJECT "/org/freedesktop/portal/documents"
#define IFACE "org.freedesktop.portal.Documents"
/* dbus-daemon's default max_message_unix_fds. */
#define FDS_PER_MESSAGE 16

static void die(const char *what, const char *detail, int error) {
    fprintf(stderr, "docbench: %s%s%s%s%s\n", what, detail ? " " : "", detail ? detail : "",
            error ? ": " : "", error ? strerror(error) : "");
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Newline-separated paths from FILE, as one array. */
static char **read_list(FILE *in, size_t *count) {
    size_t capacity = 1024, n = 0, length = 0;
    char **paths = malloc(capacity * sizeof *paths), *line = NULL;
    ssize_t got;
    while ((got = getline(&line, &length, in)) > 0) {
        if (line[got - 1] == '\n') line[got - 1] = '\0';
        if (n == capacity) paths = realloc(paths, (capacity *= 2) * sizeof *paths);
        paths[n++] = strdup(line);
    }
    free(line);
    *count = n;
    return paths;
}

static char **read_list_file(const char *name, size_t *count) {
    FILE *in = fopen(name, "r");
    if (!in) die("cannot open", name, errno);
    char **paths = read_list(in, count);
    fclose(in);
    return paths;
}

static int make_files(const char *dir, long count, long size) {
    char *buffer = malloc(size), path[4096];
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (long i = 0; i < count; i++) {
        /* Distinct content per file, so a mixed-up document shows in verify. */
        for (long j = 0; j < size; j++) {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            buffer[j] = (char)state;
        }
        snprintf(path, sizeof path, "%s/f%04ld.dat", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, buffer, size) != size || close(fd) != 0) die("cannot write", path, errno);
        puts(path);
    }
    free(buffer);
    return 0;
}

static void check_bus(int r, const char *what, sd_bus_error *error) {
    if (r < 0) {
        fprintf(stderr, "docbench: %s: %s\n", what, error && error->message ? error->message : strerror(-r));
        exit(1);
    }
}

static int export_documents(const char *app) {
    size_t count;
    char **paths = read_list(stdin, &count);
    const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
    if (!address) die("DBUS_SESSION_BUS_ADDRESS is not set", NULL, 0);
    sd_bus *bus = NULL;
    check_bus(sd_bus_new(&bus), "sd_bus_new", NULL);
    check_bus(sd_bus_set_address(bus, address), "bus address", NULL);
    check_bus(sd_bus_set_bus_client(bus, 1), "bus client", NULL);
    check_bus(sd_bus_negotiate_fds(bus, 1), "fd passing", NULL);
    check_bus(sd_bus_start(bus), "connecting to the bus", NULL);

    for (size_t first = 0; first < count; first += FDS_PER_MESSAGE) {
        size_t last = first + FDS_PER_MESSAGE < count ? first + FDS_PER_MESSAGE : count;
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        check_bus(sd_bus_message_new_method_call(bus, &call, DEST, OBJECT, IFACE, "AddFull"), "AddFull", NULL);
        check_bus(sd_bus_message_open_container(call, 'a', "h"), "AddFull fds", NULL);
        for (size_t i = first; i < last; i++) {
            int fd = open(paths[i], O_PATH | O_CLOEXEC);
            if (fd < 0) die("cannot open", paths[i], errno);
            check_bus(sd_bus_message_append_basic(call, 'h', &fd), "AddFull fd", NULL); /* dups fd */
            close(fd);
        }
        check_bus(sd_bus_message_close_container(call), "AddFull fds", NULL);
        /* flags 3 = reuse_existing | persistent, no app, no permissions. */
        check_bus(sd_bus_message_append(call, "usas", 3u, "", 0), "AddFull arguments", NULL);
        check_bus(sd_bus_call(bus, call, 0, &error, &reply), "AddFull", &error);
        char **ids = NULL;
        check_bus(sd_bus_message_read_strv(reply, &ids), "AddFull reply", NULL);
        for (size_t i = 0; ids && ids[i]; i++) {
            if (first + i >= last) die("AddFull returned more ids than files", NULL, 0);
            check_bus(sd_bus_call_method(bus, DEST, OBJECT, IFACE, "GrantPermissions", &error, NULL,
                                         "ssas", ids[i], app, 1, "read"),
                      "GrantPermissions", &error);
            puts(ids[i]);
            free(ids[i]);
        }
        free(ids);
        sd_bus_message_unref(call);
        sd_bus_message_unref(reply);
    }
    sd_bus_flush_close_unref(bus);
    return 0;
}

static int sequential_read(const char *path) {
    size_t size = 1 << 20;
    char *buffer = aligned_alloc(4096, size);
    double start = now();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("cannot open", path, errno);
    long long total = 0;
    ssize_t got;
    while ((got = read(fd, buffer, size)) > 0) total += got;
    if (got < 0) die("cannot read", path, errno);
    close(fd);
    double elapsed = now() - start;
    printf("%.3f\t%lld\n", total / elapsed / 1e9, total);
    return 0;
}

static int pass_stat(char **paths, size_t count, long passes) {
    struct stat status;
    for (long pass = 0; pass < passes; pass++) {
        double start = now();
        for (size_t i = 0; i < count; i++)
            if (stat(paths[i], &status) != 0) die("cannot stat", paths[i], errno);
        printf("%.2f\n", (now() - start) * 1e6 / count);
    }
    return 0;
}

static int pass_open(char **paths, size_t count, long passes, long size) {
    char *buffer = malloc(size + 1);
    for (long pass = 0; pass < passes; pass++) {
        double start = now();
        for (size_t i = 0; i < count; i++) {
            int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0) die("cannot open", paths[i], errno);
            /* One byte more than the file: a short or long file shows. */
            ssize_t got = read(fd, buffer, size + 1);
            if (got != size) die("wrong size from", paths[i], got < 0 ? errno : 0);
            close(fd);
        }
        printf("%.2f\n", (now() - start) * 1e6 / count);
    }
    free(buffer);
    return 0;
}

static int slurp(const char *path, char **data, size_t *length) {
    FILE *in = fopen(path, "r");
    if (!in) return -1;
    size_t capacity = 1 << 16, n = 0, got;
    *data = malloc(capacity);
    while ((got = fread(*data + n, 1, capacity - n, in)) > 0)
        if ((n += got) == capacity) *data = realloc(*data, capacity *= 2);
    int failed = ferror(in);
    fclose(in);
    *length = n;
    return failed ? -1 : 0;
}

static int verify(const char *list_a, const char *list_b) {
    size_t count_a, count_b, differ = 0;
    char **a = read_list_file(list_a, &count_a), **b = read_list_file(list_b, &count_b);
    if (count_a != count_b) die("lists differ in length:", list_b, 0);
    for (size_t i = 0; i < count_a; i++) {
        char *x, *y;
        size_t nx, ny;
        if (slurp(a[i], &x, &nx) != 0) die("cannot read", a[i], errno);
        if (slurp(b[i], &y, &ny) != 0) die("cannot read", b[i], errno);
        if (nx != ny || memcmp(x, y, nx) != 0) {
            if (differ++ < 5) fprintf(stderr, "docbench: %s differs from %s\n", b[i], a[i]);
        }
        free(x);
        free(y);
    }
    if (differ) fprintf(stderr, "docbench: %zu of %zu files differ\n", differ, count_a);
    return differ ? 1 : 0;
}

int main(int argc, char **argv) {
    size_t count;
    if (argc == 5 && strcmp(argv[1], "mkfiles") == 0) return make_files(argv[2], atol(argv[3]), atol(argv[4]));
    if (argc == 3 && strcmp(argv[1], "export") == 0) return export_documents(argv[2]);
    if (argc == 3 && strcmp(argv[1], "read") == 0) return sequential_read(argv[2]);
    if (argc == 3 && strcmp(argv[1], "stat") == 0) {
        char **paths = read_list(stdin, &count);
        return pass_stat(paths, count, atol(argv[2]));
    }
    if (argc == 4 && strcmp(argv[1], "open") == 0) {
        char **paths = read_list(stdin, &count);
        return pass_open(paths, count, atol(argv[2]), atol(argv[3]));
    }
    if (argc == 4 && strcmp(argv[1], "verify") == 0) return verify(argv[2], argv[3]);
    fprintf(stderr, "usage: docbench mkfiles|export|read|stat|open|verify ... (see the source)\n");
    return 2;
}

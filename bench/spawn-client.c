/* The caller for bench/spawn.sh: run inside a bwrap sandbox that carries a
 * read-only /.flatpak-info, so that the portal, which identifies callers
 * through /proc/PID/root/.flatpak-info, sees an installed app.
 *
 *   spawn-client ADDRESS COUNT FLAGS [WARMUP]
 *
 * Calls org.freedesktop.portal.Flatpak.Spawn(["true"]) WARMUP + COUNT times,
 * one at a time (the next call only after the previous SpawnExited), and
 * prints one line per measured call:
 *
 *   reply_ms <TAB> exited_ms <TAB> wait_status
 *
 * both measured from just before the call was sent. Any D-Bus error, or no
 * SpawnExited within 60 s, ends the run with a message and exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#define PORTAL "org.freedesktop.portal.Flatpak"
#define PORTAL_PATH "/org/freedesktop/portal/Flatpak"
#define MAX_EXITS 1024
#define CALL_TIMEOUT_USEC (60ULL * 1000 * 1000)

struct exit_record {
    uint32_t pid;
    uint32_t status;
    double at;
};

struct state {
    double replied_at;    /* < 0 until the reply came */
    uint32_t pid;         /* from the reply */
    int failed;
    /* Every SpawnExited seen so far; a signal could in principle be read
     * before the reply that names its pid. */
    struct exit_record exits[MAX_EXITS];
    size_t exit_count;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noreturn)) static void die(const char *what, int r) {
    fprintf(stderr, "spawn-client: %s: %s\n", what, strerror(-r));
    exit(1);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *unused) {
    struct state *state = userdata;
    (void)unused;
    state->replied_at = now_ms();
    const sd_bus_error *error = sd_bus_message_get_error(reply);
    if (error) {
        fprintf(stderr, "spawn-client: Spawn failed: %s: %s\n", error->name, error->message);
        state->failed = 1;
        return 0;
    }
    int r = sd_bus_message_read(reply, "u", &state->pid);
    if (r < 0) die("reading Spawn's reply", r);
    return 0;
}

static int on_exited(sd_bus_message *signal, void *userdata, sd_bus_error *unused) {
    struct state *state = userdata;
    (void)unused;
    double at = now_ms();
    uint32_t pid, status;
    int r = sd_bus_message_read(signal, "uu", &pid, &status);
    if (r < 0) die("reading SpawnExited", r);
    if (state->exit_count < MAX_EXITS) state->exits[state->exit_count++] = (struct exit_record){ pid, status, at };
    return 0;
}

static const struct exit_record *find_exit(const struct state *state) {
    if (state->replied_at < 0) return NULL;
    for (size_t i = 0; i < state->exit_count; i++)
        if (state->exits[i].pid == state->pid) return &state->exits[i];
    return NULL;
}

static sd_bus_message *spawn_message(sd_bus *bus, uint32_t flags) {
    sd_bus_message *m = NULL;
    static const char argv0[] = "true";
    int r = sd_bus_message_new_method_call(bus, &m, PORTAL, PORTAL_PATH, PORTAL, "Spawn");
    if (r < 0) die("creating the Spawn call", r);
    /* cwd_path ay, argv aay, fds a{uh}, envs a{ss}, flags u, options a{sv} */
    if ((r = sd_bus_message_append_array(m, 'y', "", 1)) < 0 ||
        (r = sd_bus_message_open_container(m, 'a', "ay")) < 0 ||
        (r = sd_bus_message_append_array(m, 'y', argv0, sizeof argv0)) < 0 ||
        (r = sd_bus_message_close_container(m)) < 0 ||
        (r = sd_bus_message_append(m, "a{uh}", 0)) < 0 ||
        (r = sd_bus_message_append(m, "a{ss}", 0)) < 0 ||
        (r = sd_bus_message_append(m, "u", flags)) < 0 ||
        (r = sd_bus_message_append(m, "a{sv}", 0)) < 0)
        die("building the Spawn call", r);
    return m;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: spawn-client ADDRESS COUNT FLAGS [WARMUP]\n");
        return 2;
    }
    const char *address = argv[1];
    int count = atoi(argv[2]);
    uint32_t flags = (uint32_t)strtoul(argv[3], NULL, 0);
    int warmup = argc > 4 ? atoi(argv[4]) : 2;

    sd_bus *bus = NULL;
    int r;
    if ((r = sd_bus_new(&bus)) < 0) die("sd_bus_new", r);
    if ((r = sd_bus_set_address(bus, address)) < 0) die("sd_bus_set_address", r);
    if ((r = sd_bus_set_bus_client(bus, 1)) < 0) die("sd_bus_set_bus_client", r);
    if ((r = sd_bus_start(bus)) < 0) die("connecting to the bus", r);

    static struct state state;
    if ((r = sd_bus_match_signal(bus, NULL, NULL, PORTAL_PATH, PORTAL, "SpawnExited", on_exited, &state)) < 0)
        die("adding the SpawnExited match", r);

    for (int i = 0; i < warmup + count; i++) {
        state.replied_at = -1;
        state.pid = 0;
        state.exit_count = 0;
        sd_bus_message *m = spawn_message(bus, flags);
        double started = now_ms();
        r = sd_bus_call_async(bus, NULL, m, on_reply, &state, CALL_TIMEOUT_USEC);
        sd_bus_message_unref(m);
        if (r < 0) die("sending Spawn", r);

        const struct exit_record *exited = NULL;
        while (!(exited = find_exit(&state))) {
            if (state.failed) return 1;
            r = sd_bus_process(bus, NULL);
            if (r < 0) die("processing the bus", r);
            if (r > 0) continue;
            if (now_ms() - started > CALL_TIMEOUT_USEC / 1000) {
                fprintf(stderr, "spawn-client: call %d: %s within 60 s\n", i,
                        state.replied_at < 0 ? "no reply" : "no SpawnExited");
                return 1;
            }
            r = sd_bus_wait(bus, 1000 * 1000);
            if (r < 0 && r != -EINTR) die("waiting on the bus", r);
        }
        if (i >= warmup)
            printf("%.3f\t%.3f\t%" PRIu32 "\n", state.replied_at - started, exited->at - started, exited->status);
        fflush(stdout);
    }
    sd_bus_flush_close_unref(bus);
    return 0;
}

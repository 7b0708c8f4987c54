// The burrow_sd_* twins declared in CSystemd.h: each loads libsystemd.so.0
// on first use, looks its function up once, and calls it. A missing
// library makes them fail as sd-bus fails (-ENOSYS, NULL), and
// burrow_sd_load_error says why, for the first caller to report.
#include "CSystemd.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static void *library;
static char error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    // RTLD_LOCAL: its symbols serve the twins only. Never unloaded: bus
    // objects outlive any caller that could decide to.
    library = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, sizeof error, "cannot load libsystemd.so.0: %s", reason ? reason : "unknown error");
    }
}

const char *burrow_sd_load_error(void) {
    pthread_once(&once, load);
    return library ? NULL : error;
}

static void *symbol(const char *name) {
    pthread_once(&once, load);
    if (library == NULL) return NULL;
    void *found = dlsym(library, name);
    if (found == NULL) snprintf(error, sizeof error, "libsystemd.so.0 has no %s", name);
    return found;
}

const unsigned *burrow_sd_bus_object_vtable_format(void) {
    return symbol("sd_bus_object_vtable_format");
}

// One cached pointer per function, typed from the real declaration, so a
// wrong parameter list below fails to compile against sd-bus.h.
#define RESOLVE(name)                                                                  \
    static __typeof__(&name) cached;                                                   \
    __typeof__(&name) function = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);           \
    if (function == NULL) {                                                            \
        function = (__typeof__(&name))symbol(#name);                                   \
        __atomic_store_n(&cached, function, __ATOMIC_RELEASE);                         \
    }

#define FORWARD(type, failure, name, parameters, arguments) \
    type burrow_##name parameters {                         \
        RESOLVE(name)                                       \
        if (function == NULL) return failure;               \
        return function arguments;                          \
    }

#define FORWARD_VOID(name, parameters, arguments) \
    void burrow_##name parameters {               \
        RESOLVE(name)                             \
        if (function != NULL) function arguments; \
    }

FORWARD(int, -ENOSYS, sd_bus_open_user, (sd_bus **bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_open_system, (sd_bus **bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_new, (sd_bus **bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_set_address, (sd_bus *bus, const char *address), (bus, address))
FORWARD(int, -ENOSYS, sd_bus_set_bus_client, (sd_bus *bus, int b), (bus, b))
FORWARD(int, -ENOSYS, sd_bus_negotiate_fds, (sd_bus *bus, int b), (bus, b))
FORWARD(int, -ENOSYS, sd_bus_start, (sd_bus *bus), (bus))
FORWARD_VOID(sd_bus_close, (sd_bus *bus), (bus))
FORWARD(sd_bus *, NULL, sd_bus_unref, (sd_bus *bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_get_fd, (sd_bus *bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_get_events, (sd_bus *bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_get_timeout, (sd_bus *bus, uint64_t *timeout), (bus, timeout))
FORWARD(int, -ENOSYS, sd_bus_process, (sd_bus *bus, sd_bus_message **message), (bus, message))
FORWARD(int, -ENOSYS, sd_bus_flush, (sd_bus *bus), (bus))
FORWARD(int, -ENOSYS, sd_bus_get_unique_name, (sd_bus *bus, const char **unique), (bus, unique))
FORWARD(int, -ENOSYS, sd_bus_send, (sd_bus *bus, sd_bus_message *message, uint64_t *cookie), (bus, message, cookie))
FORWARD(int, -ENOSYS, sd_bus_call_async,
        (sd_bus *bus, sd_bus_slot **slot, sd_bus_message *message, sd_bus_message_handler_t callback, void *userdata,
         uint64_t usec),
        (bus, slot, message, callback, userdata, usec))
FORWARD(int, -ENOSYS, sd_bus_add_match,
        (sd_bus *bus, sd_bus_slot **slot, const char *match, sd_bus_message_handler_t callback, void *userdata),
        (bus, slot, match, callback, userdata))
FORWARD(int, -ENOSYS, sd_bus_add_object_vtable,
        (sd_bus *bus, sd_bus_slot **slot, const char *path, const char *interface, const sd_bus_vtable *vtable,
         void *userdata),
        (bus, slot, path, interface, vtable, userdata))
FORWARD(sd_bus_slot *, NULL, sd_bus_slot_unref, (sd_bus_slot *slot), (slot))
FORWARD(int, -ENOSYS, sd_bus_reply_method_error, (sd_bus_message *call, const sd_bus_error *e), (call, e))
FORWARD(int, -ENOSYS, sd_bus_error_set, (sd_bus_error *e, const char *name, const char *message), (e, name, message))
FORWARD_VOID(sd_bus_error_free, (sd_bus_error *e), (e))
FORWARD(int, -ENOSYS, sd_bus_message_new_method_call,
        (sd_bus *bus, sd_bus_message **m, const char *destination, const char *path, const char *interface,
         const char *member),
        (bus, m, destination, path, interface, member))
FORWARD(int, -ENOSYS, sd_bus_message_new_method_return, (sd_bus_message *call, sd_bus_message **m), (call, m))
FORWARD(int, -ENOSYS, sd_bus_message_new_signal,
        (sd_bus *bus, sd_bus_message **m, const char *path, const char *interface, const char *member),
        (bus, m, path, interface, member))
FORWARD(sd_bus_message *, NULL, sd_bus_message_ref, (sd_bus_message *m), (m))
FORWARD(sd_bus_message *, NULL, sd_bus_message_unref, (sd_bus_message *m), (m))
FORWARD(int, -ENOSYS, sd_bus_message_set_destination, (sd_bus_message *m, const char *destination), (m, destination))
FORWARD(const char *, NULL, sd_bus_message_get_signature, (sd_bus_message *m, int complete), (m, complete))
FORWARD(const char *, NULL, sd_bus_message_get_sender, (sd_bus_message *m), (m))
FORWARD(const char *, NULL, sd_bus_message_get_path, (sd_bus_message *m), (m))
FORWARD(const char *, NULL, sd_bus_message_get_member, (sd_bus_message *m), (m))
FORWARD(const char *, NULL, sd_bus_message_get_interface, (sd_bus_message *m), (m))
FORWARD(const sd_bus_error *, NULL, sd_bus_message_get_error, (sd_bus_message *m), (m))
FORWARD(int, -ENOSYS, sd_bus_message_append_basic, (sd_bus_message *m, char type, const void *p), (m, type, p))
FORWARD(int, -ENOSYS, sd_bus_message_append_array, (sd_bus_message *m, char type, const void *ptr, size_t size),
        (m, type, ptr, size))
FORWARD(int, -ENOSYS, sd_bus_message_open_container, (sd_bus_message *m, char type, const char *contents),
        (m, type, contents))
FORWARD(int, -ENOSYS, sd_bus_message_close_container, (sd_bus_message *m), (m))
FORWARD(int, -ENOSYS, sd_bus_message_enter_container, (sd_bus_message *m, char type, const char *contents),
        (m, type, contents))
FORWARD(int, -ENOSYS, sd_bus_message_exit_container, (sd_bus_message *m), (m))
FORWARD(int, -ENOSYS, sd_bus_message_read_basic, (sd_bus_message *m, char type, void *p), (m, type, p))
FORWARD(int, -ENOSYS, sd_bus_message_read_array, (sd_bus_message *m, char type, const void **ptr, size_t *size),
        (m, type, ptr, size))
FORWARD(int, -ENOSYS, sd_bus_message_peek_type, (sd_bus_message *m, char *type, const char **contents),
        (m, type, contents))
FORWARD(int, -ENOSYS, sd_bus_message_at_end, (sd_bus_message *m, int complete), (m, complete))
FORWARD(int, -ENOSYS, sd_pid_get_user_unit, (pid_t pid, char **unit), (pid, unit))

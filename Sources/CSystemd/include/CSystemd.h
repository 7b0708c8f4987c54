// sd-bus for Swift. Swift cannot import the vtable initializer macros (they
// build a struct with bitfields and an anonymous union), nor SD_BUS_ERROR_NULL,
// so they are restated here as inline functions.
//
// libsystemd is not linked: every sd-bus function burrow calls is reached
// through a burrow_ twin that loads libsystemd.so.0 on first use (see
// SystemdLoader.c). Why: linked, libsystemd and the six libraries it pulls
// in (libgcrypt, libzstd, liblzma, …) are loaded and relocated at every
// start, ~0.5 ms of each `burrow run`, which needs no bus at all when the
// document portal is already mounted. The real declarations stay visible
// for the types; calling one of them by its own name fails to link.
#pragma once
#include <systemd/sd-bus.h>
#include <systemd/sd-bus-vtable.h>
#include <systemd/sd-login.h>
#include <string.h>

/// NULL once libsystemd.so.0 is loaded (loading it if need be), else why
/// it cannot be.
const char *burrow_sd_load_error(void);

/// &sd_bus_object_vtable_format in the loaded library (NULL if none).
const unsigned *burrow_sd_bus_object_vtable_format(void);

#define BURROW_SD_DECLARE(name) __typeof__(name) burrow_##name;
#define BURROW_SD_FUNCTIONS(X) \
    X(sd_bus_open_user) X(sd_bus_open_system) X(sd_bus_new) X(sd_bus_set_address) X(sd_bus_set_bus_client) \
    X(sd_bus_negotiate_fds) X(sd_bus_start) X(sd_bus_close) X(sd_bus_unref) X(sd_bus_get_fd) X(sd_bus_get_events) \
    X(sd_bus_get_timeout) X(sd_bus_process) X(sd_bus_flush) X(sd_bus_get_unique_name) X(sd_bus_send) \
    X(sd_bus_call_async) X(sd_bus_add_match) X(sd_bus_add_object_vtable) X(sd_bus_slot_unref) \
    X(sd_bus_reply_method_error) X(sd_bus_error_set) X(sd_bus_error_free) X(sd_bus_message_new_method_call) \
    X(sd_bus_message_new_method_return) X(sd_bus_message_new_signal) X(sd_bus_message_ref) X(sd_bus_message_unref) \
    X(sd_bus_message_set_destination) X(sd_bus_message_get_signature) X(sd_bus_message_get_sender) \
    X(sd_bus_message_get_path) X(sd_bus_message_get_member) X(sd_bus_message_get_interface) \
    X(sd_bus_message_get_error) X(sd_bus_message_append_basic) X(sd_bus_message_append_array) \
    X(sd_bus_message_open_container) X(sd_bus_message_close_container) X(sd_bus_message_enter_container) \
    X(sd_bus_message_exit_container) X(sd_bus_message_read_basic) X(sd_bus_message_read_array) \
    X(sd_bus_message_peek_type) X(sd_bus_message_at_end) X(sd_pid_get_user_unit)
BURROW_SD_FUNCTIONS(BURROW_SD_DECLARE)

static inline sd_bus_vtable burrow_vtable_start(void) {
    sd_bus_vtable v;
    memset(&v, 0, sizeof v);
    v.type = _SD_BUS_VTABLE_START;
    v.flags = 0;
    v.x.start.element_size = sizeof(sd_bus_vtable);
    v.x.start.features = _SD_BUS_VTABLE_PARAM_NAMES;
    v.x.start.vtable_format_reference = burrow_sd_bus_object_vtable_format();
    return v;
}

// `names` is the in-names then the out-names, each name followed by a NUL,
// with one extra NUL between the two lists (what SD_BUS_PARAM builds).
static inline sd_bus_vtable burrow_vtable_method(const char *member, const char *signature,
                                                  const char *result, const char *names,
                                                  sd_bus_message_handler_t handler, uint64_t flags) {
    sd_bus_vtable v;
    memset(&v, 0, sizeof v);
    v.type = _SD_BUS_VTABLE_METHOD;
    v.flags = flags;
    v.x.method.member = member;
    v.x.method.signature = signature;
    v.x.method.result = result;
    v.x.method.handler = handler;
    v.x.method.offset = 0;
    v.x.method.names = names;
    return v;
}

static inline sd_bus_vtable burrow_vtable_signal(const char *member, const char *signature,
                                                  const char *names, uint64_t flags) {
    sd_bus_vtable v;
    memset(&v, 0, sizeof v);
    v.type = _SD_BUS_VTABLE_SIGNAL;
    v.flags = flags;
    v.x.signal.member = member;
    v.x.signal.signature = signature;
    v.x.signal.names = names;
    return v;
}

static inline sd_bus_vtable burrow_vtable_property(const char *member, const char *signature,
                                                    sd_bus_property_get_t get, uint64_t flags) {
    sd_bus_vtable v;
    memset(&v, 0, sizeof v);
    v.type = _SD_BUS_VTABLE_PROPERTY;
    v.flags = flags;
    v.x.property.member = member;
    v.x.property.signature = signature;
    v.x.property.get = get;
    v.x.property.set = NULL;
    v.x.property.offset = 0;
    return v;
}

static inline sd_bus_vtable burrow_vtable_end(void) {
    sd_bus_vtable v;
    memset(&v, 0, sizeof v);
    v.type = _SD_BUS_VTABLE_END;
    return v;
}

static inline sd_bus_error burrow_bus_error_null(void) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    return e;
}

static const uint64_t burrow_vtable_unprivileged = SD_BUS_VTABLE_UNPRIVILEGED;
static const uint64_t burrow_vtable_property_const = SD_BUS_VTABLE_PROPERTY_CONST;
static const uint64_t burrow_vtable_property_emits_change = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;

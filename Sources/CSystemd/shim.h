// sd-bus for Swift. Swift cannot import the vtable initializer macros (they
// build a struct with bitfields and an anonymous union), nor SD_BUS_ERROR_NULL,
// so they are restated here as inline functions; nothing else is added.
#pragma once
#include <systemd/sd-bus.h>
#include <systemd/sd-bus-vtable.h>
#include <systemd/sd-login.h>
#include <string.h>

static inline sd_bus_vtable burrow_vtable_start(void) {
    sd_bus_vtable v;
    memset(&v, 0, sizeof v);
    v.type = _SD_BUS_VTABLE_START;
    v.flags = 0;
    v.x.start.element_size = sizeof(sd_bus_vtable);
    v.x.start.features = _SD_BUS_VTABLE_PARAM_NAMES;
    v.x.start.vtable_format_reference = &sd_bus_object_vtable_format;
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

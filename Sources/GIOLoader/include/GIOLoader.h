// GIO for the desktop portal and burrow prompt — content types and default
// handlers (GAppInfo, GDesktopAppInfo, mimeapps.list) — loaded on first use
// instead of linked. Linking libgio-2.0 put it and the seven libraries it
// needs (gobject, gmodule, mount, blkid, selinux, ffi, z) in front of every
// start of the desktop portal, ~1.3 ms of a ~9 ms cold start, for calls
// only OpenURI and the file chooser's filters make. Nothing else of GIO is
// used: no GDBus, no GVfs, no launching (the portal spawns handlers itself).
//
// Declared with plain C types (GObjects and GLists as void *, gboolean as
// int, gsize as size_t): the ABI of these functions, without GLib's headers.
#pragma once
#include <stddef.h>

typedef struct BurrowGIO {
    void (*object_unref)(void *object);
    void *(*desktop_app_info_new)(const char *desktop_id);
    char *(*desktop_app_info_get_string)(void *info, const char *key);
    const char *(*desktop_app_info_get_filename)(void *info);
    int (*desktop_app_info_get_boolean)(void *info, const char *key);
    const char *(*app_info_get_name)(void *info);
    const char *(*app_info_get_id)(void *info);
    void *(*app_info_get_default_for_type)(const char *content_type, int must_support_uris);
    void *(*app_info_get_recommended_for_type)(const char *content_type);
    void *(*app_info_get_all_for_type)(const char *content_type);
    char *(*content_type_guess)(const char *filename, const unsigned char *data, size_t data_size, int *uncertain);
    int (*content_type_is_a)(const char *type, const char *supertype);
    char *(*content_type_from_mime_type)(const char *mime_type);
} BurrowGIO;

// The functions, from libgio-2.0.so.0 opened on the first call (once, from
// any thread); NULL when the library or a function is missing, and then
// burrow_gio_error() says which. (Debian ships libgio in libglib2.0-0, the
// package of the libglib burrow links, so it is there wherever burrow runs.)
const BurrowGIO *burrow_gio(void);
const char *burrow_gio_error(void);

#include "GIOLoader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static BurrowGIO table;
static const BurrowGIO *loaded;
static char error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

// dlsym into `slot`; false (with the reason in `error`) when it is missing.
static int resolve(void *library, const char *name, void **slot) {
    *slot = dlsym(library, name);
    if (*slot == NULL) snprintf(error, sizeof error, "libgio-2.0.so.0 has no %s", name);
    return *slot != NULL;
}

static void load(void) {
    // RTLD_LOCAL: GIO's symbols serve these pointers only. Never unloaded:
    // GObject types, once registered, cannot be.
    void *library = dlopen("libgio-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, sizeof error, "cannot load libgio-2.0.so.0: %s", reason ? reason : "unknown error");
        return;
    }
    int ok = resolve(library, "g_object_unref", (void **)&table.object_unref)
        && resolve(library, "g_desktop_app_info_new", (void **)&table.desktop_app_info_new)
        && resolve(library, "g_desktop_app_info_get_string", (void **)&table.desktop_app_info_get_string)
        && resolve(library, "g_desktop_app_info_get_filename", (void **)&table.desktop_app_info_get_filename)
        && resolve(library, "g_desktop_app_info_get_boolean", (void **)&table.desktop_app_info_get_boolean)
        && resolve(library, "g_app_info_get_name", (void **)&table.app_info_get_name)
        && resolve(library, "g_app_info_get_id", (void **)&table.app_info_get_id)
        && resolve(library, "g_app_info_get_default_for_type", (void **)&table.app_info_get_default_for_type)
        && resolve(library, "g_app_info_get_recommended_for_type", (void **)&table.app_info_get_recommended_for_type)
        && resolve(library, "g_app_info_get_all_for_type", (void **)&table.app_info_get_all_for_type)
        && resolve(library, "g_content_type_guess", (void **)&table.content_type_guess)
        && resolve(library, "g_content_type_is_a", (void **)&table.content_type_is_a)
        && resolve(library, "g_content_type_from_mime_type", (void **)&table.content_type_from_mime_type);
    if (ok) loaded = &table;
}

const BurrowGIO *burrow_gio(void) {
    pthread_once(&once, load);
    return loaded;
}

const char *burrow_gio_error(void) {
    pthread_once(&once, load);
    return loaded ? NULL : error;
}

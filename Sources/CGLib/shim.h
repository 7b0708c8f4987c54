// GLib for Swift: GKeyFile, content types, default-handler lookup.
#pragma once
#include <glib.h>
#include <gio/gio.h>

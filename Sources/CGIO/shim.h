// GIO for the desktop portal and burrow prompt: content types and default-handler lookup
// (GAppInfo, GDesktopAppInfo and mimeapps.list). Nothing else of GIO is used:
// no GDBus, no GVfs, no launching (the portal spawns handlers itself).
#pragma once
#include <gio/gio.h>
#include <gio/gdesktopappinfo.h>

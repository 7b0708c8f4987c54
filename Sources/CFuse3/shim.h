// libfuse3's low-level API; the version must be fixed before the header.
#pragma once
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

// libostree for Swift.
#pragma once
#include <ostree.h>

// libsodium for Swift: ed25519 signatures in OSTree's `ed25519` sign format
// (Debian's libostree is built without it, so burrow signs and verifies).
#pragma once
#include <sodium.h>

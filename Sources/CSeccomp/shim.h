// libseccomp for Swift. SCMP_ACT_ERRNO/SCMP_CMP are macros; restated here.
#pragma once
#include <seccomp.h>
static inline uint32_t burrow_scmp_act_errno(uint16_t e) { return SCMP_ACT_ERRNO(e); }

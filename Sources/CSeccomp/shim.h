// libseccomp for Swift. SCMP_ACT_ERRNO/SCMP_CMP are macros; restated here.
#pragma once
#include <seccomp.h>
static inline uint32_t burrow_scmp_act_errno(uint16_t e) { return SCMP_ACT_ERRNO(e); }

// Architecture tokens: SCMP_ARCH_* expand to AUDIT_ARCH_* expressions built
// from <linux/elf-em.h> and <linux/audit.h> macros that Swift does not import.
static inline uint32_t burrow_scmp_arch_x86_64(void) { return SCMP_ARCH_X86_64; }
static inline uint32_t burrow_scmp_arch_x86(void) { return SCMP_ARCH_X86; }
static inline uint32_t burrow_scmp_arch_x32(void) { return SCMP_ARCH_X32; }
static inline uint32_t burrow_scmp_arch_aarch64(void) { return SCMP_ARCH_AARCH64; }
static inline uint32_t burrow_scmp_arch_arm(void) { return SCMP_ARCH_ARM; }

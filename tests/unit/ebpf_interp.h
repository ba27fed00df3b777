/* A small eBPF interpreter for the instructions src/packet/bpfconv.c
 * emits, so that tests and the fuzz target can run a translated filter
 * without a kernel. Not a verifier and not for any other program: an
 * instruction it does not know is an error, never a guess. */
#ifndef PIDCAP_EBPF_INTERP_H
#define PIDCAP_EBPF_INTERP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/bpf.h>
#include "packet/bpfconv.h"

#define EI_STACK 512
#define EI_CTX_ADDR 0x100000000ull   /* pretend addresses of the context... */
#define EI_STACK_TOP 0x200000000ull  /* ...of the top of the stack... */
#define EI_PKT_ADDR 0x300000000ull   /* ...and of the packet (skb->data) */

/* Runs prog on a packet of len bytes (skb->len == len) whose first linear
 * bytes are in the skb's linear part (data..data_end; the rest only
 * bpf_skb_load_bytes reads). Returns 1 when it tail-calls (the filter
 * accepted the packet), 0 when it returns without (rejected), -1 on an
 * instruction or access it should not make. */
static int ei_run(const struct bpf_insn *prog, size_t n, const uint8_t *pkt, uint32_t len,
		  uint32_t linear)
{
	uint64_t r[11] = { 0 };
	uint8_t stack[EI_STACK];
	size_t pc = 0, steps = 0;

	memset(stack, 0xa5, sizeof(stack)); /* garbage, as on a real stack */
	r[1] = EI_CTX_ADDR;
	r[10] = EI_STACK_TOP;
	while (pc < n && steps++ < 1000000) {
		const struct bpf_insn *in = &prog[pc++];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		uint8_t d = in->dst_reg, s = in->src_reg;
		uint64_t src, a;
		int size;

		if (d > 10 || s > 10)
			return -1;
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64: {
			int is64 = cls == BPF_ALU64;

			src = BPF_SRC(in->code) == BPF_X ? r[s] : (uint64_t)(int64_t)in->imm;
			a = r[d];
			if (!is64) {
				src = (uint32_t)src;
				a = (uint32_t)a;
			}
			switch (op) {
			case BPF_MOV: a = src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV: a = src ? a / src : 0; break;
			case BPF_MOD: a = src ? a % src : a; break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a <<= src & (is64 ? 63 : 31); break;
			case BPF_RSH: a >>= src & (is64 ? 63 : 31); break;
			case BPF_NEG: a = -a; break;
			case BPF_END:
				if (BPF_SRC(in->code) != BPF_TO_BE || is64)
					return -1;
				if (in->imm == 16)
					a = (uint16_t)(((a & 0xff) << 8) | ((a >> 8) & 0xff));
				else if (in->imm == 32)
					a = __builtin_bswap32((uint32_t)a);
				else
					return -1;
				break;
			default:
				return -1;
			}
			r[d] = is64 ? a : (uint32_t)a;
			break;
		}
		case BPF_JMP:
		case BPF_JMP32: {
			int taken;

			if (op == BPF_EXIT) {
				return 0; /* no tail call happened */
			}
			if (op == BPF_CALL) {
				if (in->imm == PC_BPFCONV_TAIL_CALL)
					return r[1] == EI_CTX_ADDR ? 1 : -1;
				if (in->imm != PC_BPFCONV_SKB_LOAD_BYTES || r[1] != EI_CTX_ADDR)
					return -1;
				/* bpf_skb_load_bytes(skb, off, to, n) onto our stack */
				if (r[3] < EI_STACK_TOP - EI_STACK || r[3] + r[4] > EI_STACK_TOP ||
				    r[4] == 0)
					return -1;
				if ((uint32_t)r[2] > 0x7fffffff || (uint64_t)(uint32_t)r[2] + r[4] > len) {
					memset(stack + (r[3] - (EI_STACK_TOP - EI_STACK)), 0, r[4]);
					r[0] = (uint64_t)-14; /* -EFAULT, buffer zeroed */
				} else {
					memcpy(stack + (r[3] - (EI_STACK_TOP - EI_STACK)),
					       pkt + (uint32_t)r[2], r[4]);
					r[0] = 0;
				}
				for (int i = 1; i <= 5; i++)
					r[i] = 0xdeadbeefdeadbeefull; /* clobbered */
				break;
			}
			if (op == BPF_JA) {
				pc += in->off;
				break;
			}
			src = BPF_SRC(in->code) == BPF_X ? r[s] : (uint64_t)(int64_t)in->imm;
			a = r[d];
			if (cls == BPF_JMP32) {
				src = (uint32_t)src;
				a = (uint32_t)a;
			}
			switch (op) {
			case BPF_JEQ: taken = a == src; break;
			case BPF_JNE: taken = a != src; break;
			case BPF_JGT: taken = a > src; break;
			case BPF_JGE: taken = a >= src; break;
			case BPF_JLT: taken = a < src; break;
			case BPF_JLE: taken = a <= src; break;
			case BPF_JSET: taken = (a & src) != 0; break;
			default:
				return -1;
			}
			if (taken)
				pc += in->off;
			break;
		}
		case BPF_LDX:
		case BPF_STX:
		case BPF_ST: {
			uint64_t base = r[cls == BPF_LDX ? s : d] + in->off;
			uint8_t *p;

			if (BPF_MODE(in->code) != BPF_MEM)
				return -1;
			size = BPF_SIZE(in->code) == BPF_W ? 4 : BPF_SIZE(in->code) == BPF_H ? 2 :
			       BPF_SIZE(in->code) == BPF_B ? 1 : 8;
			if (cls == BPF_LDX && size == 4 && base == EI_CTX_ADDR) {
				r[d] = len; /* __sk_buff.len */
				break;
			}
			if (cls == BPF_LDX && size == 4 &&
			    base == EI_CTX_ADDR + offsetof(struct __sk_buff, data)) {
				r[d] = EI_PKT_ADDR;
				break;
			}
			if (cls == BPF_LDX && size == 4 &&
			    base == EI_CTX_ADDR + offsetof(struct __sk_buff, data_end)) {
				r[d] = EI_PKT_ADDR + (linear < len ? linear : len);
				break;
			}
			if (cls == BPF_LDX && size < 8 && base >= EI_PKT_ADDR &&
			    base + size <= EI_PKT_ADDR + (linear < len ? linear : len)) {
				uint64_t v = 0;

				memcpy(&v, pkt + (base - EI_PKT_ADDR), size); /* as stored */
				r[d] = v;
				break;
			}
			if (base < EI_STACK_TOP - EI_STACK || base + size > EI_STACK_TOP)
				return -1;
			p = stack + (base - (EI_STACK_TOP - EI_STACK));
			if (cls == BPF_LDX) {
				uint64_t v = 0;

				memcpy(&v, p, size); /* little-endian host */
				r[d] = v;
			} else {
				uint64_t v = cls == BPF_STX ? r[s] : (uint64_t)(int64_t)in->imm;

				memcpy(p, &v, size);
			}
			break;
		}
		case BPF_LD:
			if (in->code != (BPF_LD | BPF_DW | BPF_IMM) || pc >= n)
				return -1;
			r[d] = (uint32_t)in->imm | (uint64_t)prog[pc].imm << 32;
			pc++;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

#endif

/* Classic BPF -> eBPF, by hand: one pass that emits each reachable
 * classic instruction as a short eBPF sequence, then one that resolves the
 * jumps. Not for loading (capture/kfilter.c); semantics follow libpcap's
 * interpreter, which pcap_offline_filter runs in user space. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "packet/bpfconv.h"

/* Classic opcode fields (linux/filter.h and pcap/bpf.h agree). */
#define C_CLASS(c) ((c) & 0x07)
#define C_SIZE(c) ((c) & 0x18)
#define C_MODE(c) ((c) & 0xe0)
#define C_OP(c) ((c) & 0xf0)
#define C_SRC(c) ((c) & 0x08)
#define C_RVAL(c) ((c) & 0x18)
#define C_LD 0x00
#define C_LDX 0x01
#define C_ST 0x02
#define C_STX 0x03
#define C_ALU 0x04
#define C_JMP 0x05
#define C_RET 0x06
#define C_MISC 0x07
#define C_W 0x00
#define C_H 0x08
#define C_B 0x10
#define C_IMM 0x00
#define C_ABS 0x20
#define C_IND 0x40
#define C_MEM 0x60
#define C_LEN 0x80
#define C_MSH 0xa0
#define C_K 0x00
#define C_X 0x08
#define C_A 0x10
#define C_TAX 0x00
#define C_TXA 0x80
#define C_MEMWORDS 16

/* eBPF registers of the generated code: the context stays in R6 (helper
 * calls clobber R1-R5), A in R7, X in R8; the scratch words and the load
 * buffer are on the stack. */
#define R_CTX 6
#define R_A 7
#define R_X 8
#define MEM_OFF (-64)   /* M[i] at MEM_OFF + 4 * i */
#define BUF_OFF (-72)   /* bpf_skb_load_bytes writes here */

/* Jump targets beyond the classic instructions. */
#define T_MATCH (-1)
#define T_REJECT (-2)

struct fixup {
	size_t at;      /* eBPF jump instruction */
	long target;    /* classic index, T_MATCH or T_REJECT */
};

struct conv {
	struct bpf_insn *insn;
	size_t n, cap;
	struct fixup *fix;
	size_t nfix, capfix;
	int oom;
	int used_match, used_reject;
};

static void emit(struct conv *c, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		 int32_t imm)
{
	struct bpf_insn *in;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;

		in = realloc(c->insn, cap * sizeof(*in));
		if (!in) {
			c->oom = 1;
			return;
		}
		c->insn = in;
		c->cap = cap;
	}
	in = &c->insn[c->n++];
	memset(in, 0, sizeof(*in));
	in->code = code;
	in->dst_reg = dst;
	in->src_reg = src;
	in->off = off;
	in->imm = imm;
}

/* A jump whose offset is filled in once every target has its place. */
static void emit_jump(struct conv *c, uint8_t code, uint8_t dst, uint8_t src, int32_t imm,
		      long target)
{
	struct fixup *f;

	if (c->nfix == c->capfix) {
		size_t cap = c->capfix ? c->capfix * 2 : 128;

		f = realloc(c->fix, cap * sizeof(*f));
		if (!f) {
			c->oom = 1;
			return;
		}
		c->fix = f;
		c->capfix = cap;
	}
	if (target == T_MATCH)
		c->used_match = 1;
	if (target == T_REJECT)
		c->used_reject = 1;
	c->fix[c->nfix].at = c->n;
	c->fix[c->nfix++].target = target;
	emit(c, code, dst, src, 0, imm);
}

static void mov32_imm(struct conv *c, uint8_t dst, uint32_t v)
{
	emit(c, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)v);
}

/* Points the jump at `at` (emitted with offset 0) to the next instruction. */
static void land(struct conv *c, size_t at)
{
	if (!c->oom)
		c->insn[at].off = (int16_t)(c->n - at - 1);
}

/* Loads size bytes (1, 2, 4) at offset k (+ X when ind) into dst,
 * big-endian, or rejects the packet when they are not all there. Bytes in
 * the skb's linear part are read directly (the verifier checks them against
 * data_end); the others, and offsets it could not bound, through
 * bpf_skb_load_bytes, which also reads paged data and fails past the end. */
static void load(struct conv *c, uint8_t dst, int size, int ind, uint32_t k)
{
	uint8_t sz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
	size_t to_slow[2] = { 0, 0 }, to_done = 0;
	int fast = ind || (uint64_t)k + size <= 0xffff, nslow = 0;

	/* the offset in R5, in 64 bits: X + k must not wrap */
	mov32_imm(c, BPF_REG_5, k);
	if (ind)
		emit(c, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_5, R_X, 0, 0);
	if (fast) {
		if (ind) { /* a packet pointer takes offsets below 64 KiB */
			to_slow[nslow++] = c->n;
			emit(c, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_5, 0, 0, 0xffff - size);
		}
		emit(c, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, R_CTX,
		     offsetof(struct __sk_buff, data), 0);
		emit(c, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, R_CTX,
		     offsetof(struct __sk_buff, data_end), 0);
		if (ind)
			emit(c, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_2, BPF_REG_5, 0, 0);
		else if (k)
			emit(c, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, (int32_t)k);
		emit(c, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0);
		emit(c, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, size);
		to_slow[nslow++] = c->n;
		emit(c, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 0, 0);
		emit(c, BPF_LDX | BPF_MEM | sz, dst, BPF_REG_2, 0, 0);
		if (size > 1)
			emit(c, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
		to_done = c->n;
		emit(c, BPF_JMP | BPF_JA, 0, 0, 0, 0);
		while (nslow)
			land(c, to_slow[--nslow]);
	}
	if (ind)
		emit_jump(c, BPF_JMP | BPF_JGT | BPF_K, BPF_REG_5, 0, 0x7fffffff, T_REJECT);
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_5, 0, 0);
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, R_CTX, 0, 0);
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
	emit(c, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, BUF_OFF);
	mov32_imm(c, BPF_REG_4, size);
	emit(c, BPF_JMP | BPF_CALL, 0, 0, 0, PC_BPFCONV_SKB_LOAD_BYTES);
	emit_jump(c, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, T_REJECT);
	emit(c, BPF_LDX | BPF_MEM | sz, dst, BPF_REG_10, BUF_OFF, 0);
	if (size > 1)
		emit(c, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
	if (fast)
		land(c, to_done);
}

static int load_size(uint16_t code)
{
	switch (C_SIZE(code)) {
	case C_W:
		return 4;
	case C_H:
		return 2;
	case C_B:
		return 1;
	}
	return 0;
}

static const uint8_t alu_ops[16] = {
	[0x0] = BPF_ADD, [0x1] = BPF_SUB, [0x2] = BPF_MUL, [0x3] = BPF_DIV, [0x4] = BPF_OR,
	[0x5] = BPF_AND, [0x6] = BPF_LSH, [0x7] = BPF_RSH, [0x8] = BPF_NEG, [0x9] = BPF_MOD,
	[0xa] = BPF_XOR,
};

/* A op= K or A op= X, with libpcap's rules for what eBPF does otherwise:
 * dividing by a zero X rejects the packet, shifting by X >= 32 gives 0. */
static int alu(struct conv *c, const struct pc_cbpf_insn *in, char *err, size_t errlen)
{
	unsigned int op = C_OP(in->code) >> 4;
	uint8_t e;

	if (op > 0xa || (op != 0 && !alu_ops[op])) {
		snprintf(err, errlen, "unknown ALU operation 0x%02x", in->code);
		return -EINVAL;
	}
	e = alu_ops[op];
	if (e == BPF_NEG) {
		emit(c, BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
		return 0;
	}
	if (C_SRC(in->code) == C_K) {
		/* libpcap refuses to compile these; its interpreter differs
		 * between versions: leave them to it */
		if ((e == BPF_DIV || e == BPF_MOD) && in->k == 0) {
			snprintf(err, errlen, "division by the constant 0");
			return -EINVAL;
		}
		if ((e == BPF_LSH || e == BPF_RSH) && in->k >= 32) {
			snprintf(err, errlen, "shift by the constant %u", in->k);
			return -EINVAL;
		}
		emit(c, BPF_ALU | e | BPF_K, R_A, 0, 0, (int32_t)in->k);
		return 0;
	}
	if (e == BPF_DIV || e == BPF_MOD) {
		emit_jump(c, BPF_JMP32 | BPF_JEQ | BPF_K, R_X, 0, 0, T_REJECT);
	} else if (e == BPF_LSH || e == BPF_RSH) {
		/* if X < 32 goto shift; A = 0; goto next */
		emit(c, BPF_JMP32 | BPF_JLT | BPF_K, R_X, 0, 2, 32);
		mov32_imm(c, R_A, 0);
		emit(c, BPF_JMP | BPF_JA, 0, 0, 1, 0);
	}
	emit(c, BPF_ALU | e | BPF_X, R_A, R_X, 0, 0);
	return 0;
}

static const uint8_t jmp_ops[4] = { BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE };
/* the opposite test, for a true branch that falls through */
static const uint8_t jmp_inverse[4] = { 0, BPF_JNE, BPF_JLE, BPF_JLT };

/* The classic index a jump lands on, or T_REJECT past the end (libpcap's
 * interpreter returns 0 when it runs off the program). */
static long jump_target(size_t from, uint64_t skip, size_t n)
{
	uint64_t t = (uint64_t)from + 1 + skip;

	return t < n ? (long)t : T_REJECT;
}

static int jump(struct conv *c, const struct pc_cbpf_insn *in, size_t i, size_t n,
		char *err, size_t errlen)
{
	unsigned int op = C_OP(in->code) >> 4;
	long t, f;
	uint8_t src = C_SRC(in->code) == C_X ? R_X : 0;
	uint8_t mode = C_SRC(in->code) == C_X ? BPF_X : BPF_K;
	int32_t imm = mode == BPF_K ? (int32_t)in->k : 0;

	if (op == 0) { /* JA: the offset is 32 bits; a "negative" one loops */
		if ((uint64_t)i + 1 + in->k >= n) {
			snprintf(err, errlen, "jump out of the program or backward "
				 "(ip6 protochain) at instruction %zu", i);
			return -EINVAL;
		}
		emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, jump_target(i, in->k, n));
		return 0;
	}
	if (op > 4) {
		snprintf(err, errlen, "unknown jump 0x%02x", in->code);
		return -EINVAL;
	}
	t = jump_target(i, in->jt, n);
	f = jump_target(i, in->jf, n);
	if (t == f) {
		emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, t);
		return 0;
	}
	if (op == 4) { /* JSET has no opposite test */
		emit_jump(c, BPF_JMP32 | BPF_JSET | mode, R_A, src, imm, t);
		if (f != (long)i + 1)
			emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, f);
		return 0;
	}
	if (t == (long)i + 1) {
		emit_jump(c, BPF_JMP32 | jmp_inverse[op] | mode, R_A, src, imm, f);
		return 0;
	}
	emit_jump(c, BPF_JMP32 | jmp_ops[op] | mode, R_A, src, imm, t);
	if (f != (long)i + 1)
		emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, f);
	return 0;
}

static int translate_one(struct conv *c, const struct pc_cbpf_insn *p, size_t i, size_t n,
			 char *err, size_t errlen)
{
	const struct pc_cbpf_insn *in = &p[i];
	uint16_t code = in->code;
	int size = load_size(code);

	switch (C_CLASS(code)) {
	case C_LD:
		switch (C_MODE(code)) {
		case C_ABS:
		case C_IND:
			if (!size)
				break;
			load(c, R_A, size, C_MODE(code) == C_IND, in->k);
			return 0;
		case C_LEN:
			if (C_SIZE(code) != C_W)
				break;
			emit(c, BPF_LDX | BPF_MEM | BPF_W, R_A, R_CTX,
			     offsetof(struct __sk_buff, len), 0);
			return 0;
		case C_IMM:
			if (C_SIZE(code) != C_W)
				break;
			mov32_imm(c, R_A, in->k);
			return 0;
		case C_MEM:
			if (C_SIZE(code) != C_W || in->k >= C_MEMWORDS)
				break;
			emit(c, BPF_LDX | BPF_MEM | BPF_W, R_A, BPF_REG_10, MEM_OFF + 4 * in->k, 0);
			return 0;
		}
		break;
	case C_LDX:
		if (code == (C_LDX | C_MSH | C_B)) {
			load(c, R_X, 1, 0, in->k);
			emit(c, BPF_ALU | BPF_AND | BPF_K, R_X, 0, 0, 0xf);
			emit(c, BPF_ALU | BPF_LSH | BPF_K, R_X, 0, 0, 2);
			return 0;
		}
		if (C_SIZE(code) != C_W)
			break;
		if (C_MODE(code) == C_IMM) {
			mov32_imm(c, R_X, in->k);
			return 0;
		}
		if (C_MODE(code) == C_LEN) {
			emit(c, BPF_LDX | BPF_MEM | BPF_W, R_X, R_CTX,
			     offsetof(struct __sk_buff, len), 0);
			return 0;
		}
		if (C_MODE(code) == C_MEM && in->k < C_MEMWORDS) {
			emit(c, BPF_LDX | BPF_MEM | BPF_W, R_X, BPF_REG_10, MEM_OFF + 4 * in->k, 0);
			return 0;
		}
		break;
	case C_ST:
	case C_STX:
		if (code != C_ST && code != C_STX)
			break;
		if (in->k >= C_MEMWORDS)
			break;
		emit(c, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, code == C_ST ? R_A : R_X,
		     MEM_OFF + 4 * in->k, 0);
		return 0;
	case C_ALU:
		return alu(c, in, err, errlen);
	case C_JMP:
		return jump(c, in, i, n, err, errlen);
	case C_RET:
		if (C_RVAL(code) == C_K) {
			emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, in->k ? T_MATCH : T_REJECT);
			return 0;
		}
		if (C_RVAL(code) == C_A) {
			emit_jump(c, BPF_JMP32 | BPF_JNE | BPF_K, R_A, 0, 0, T_MATCH);
			emit_jump(c, BPF_JMP | BPF_JA, 0, 0, 0, T_REJECT);
			return 0;
		}
		break;
	case C_MISC:
		if (code == (C_MISC | C_TAX)) {
			emit(c, BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0);
			return 0;
		}
		if (code == (C_MISC | C_TXA)) {
			emit(c, BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0);
			return 0;
		}
		break;
	}
	snprintf(err, errlen, "cannot translate instruction %zu (code 0x%04x)", i, code);
	return -EINVAL;
}

static void reach_from(uint8_t *reach, uint16_t *written, long t, uint16_t w)
{
	if (t < 0)
		return;
	written[t] = reach[t] ? written[t] & w : w;
	reach[t] = 1;
}

/* Which instructions can run, and which scratch words every path to each
 * has written: jumps only go forward, so one pass does. A read of a word
 * that some path has not written is refused, as the kernel's classic BPF
 * checker refuses it: libpcap's optimizer can emit one, and libpcap 1.10's
 * interpreter then reads whatever its stack held. */
static int flow(const struct pc_cbpf_insn *p, size_t n, uint8_t *reach, uint16_t *written,
		char *err, size_t errlen)
{
	size_t i;

	reach[0] = 1;
	written[0] = 0;
	for (i = 0; i < n; i++) {
		uint16_t code = p[i].code, w = written[i];
		uint32_t k = p[i].k;

		if (!reach[i])
			continue;
		if ((code == (C_LD | C_W | C_MEM) || code == (C_LDX | C_W | C_MEM)) &&
		    k < C_MEMWORDS && !(w & (1u << k))) {
			snprintf(err, errlen, "instruction %zu reads scratch word M[%u], which not "
				 "every path writes first", i, k);
			return -EINVAL;
		}
		if ((code == C_ST || code == C_STX) && k < C_MEMWORDS)
			w |= 1u << k;
		if (C_CLASS(code) == C_RET)
			continue;
		if (C_CLASS(code) != C_JMP) {
			if (i + 1 < n)
				reach_from(reach, written, i + 1, w);
		} else if (C_OP(code) == 0) { /* JA */
			reach_from(reach, written, jump_target(i, k, n), w);
		} else {
			reach_from(reach, written, jump_target(i, p[i].jt, n), w);
			reach_from(reach, written, jump_target(i, p[i].jf, n), w);
		}
	}
	return 0;
}

/* Every scratch word is written before it is read (flow): the stack slots
 * need no zeroing. */
static void prologue(struct conv *c)
{
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, R_CTX, BPF_REG_1, 0, 0);
	mov32_imm(c, R_A, 0);
	mov32_imm(c, R_X, 0);
}

/* Accepted: tail-call the capture, which does not return; if the slot is
 * empty, let the packet pass all the same. */
static void epilogue_match(struct conv *c, int map_fd, uint32_t slot)
{
	emit(c, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, R_CTX, 0, 0);
	emit(c, BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, map_fd);
	emit(c, 0, 0, 0, 0, 0);
	mov32_imm(c, BPF_REG_3, slot);
	emit(c, BPF_JMP | BPF_CALL, 0, 0, 0, PC_BPFCONV_TAIL_CALL);
	emit(c, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	emit(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void epilogue_reject(struct conv *c)
{
	emit(c, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
	emit(c, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int pc_bpfconv(const struct pc_cbpf_insn *prog, size_t n, int map_fd, uint32_t slot,
	       struct bpf_insn **out, size_t *nout, char *err, size_t errlen)
{
	struct conv c = { 0 };
	uint8_t *reach = NULL;
	uint16_t *written = NULL;
	size_t *pos = NULL, i, match_at = 0, reject_at = 0;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	if (!n || n > 65536) {
		snprintf(err, errlen, "a program of %zu instructions", n);
		return -EINVAL;
	}
	reach = calloc(n, 1);
	written = calloc(n, sizeof(*written));
	pos = calloc(n, sizeof(*pos));
	if (!reach || !written || !pos) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = flow(prog, n, reach, written, err, errlen);
	if (ret)
		goto out;
	prologue(&c);
	for (i = 0; i < n; i++) {
		pos[i] = c.n;
		if (!reach[i])
			continue;
		ret = translate_one(&c, prog, i, n, err, errlen);
		if (ret)
			goto out;
		/* running off the end rejects, as in libpcap */
		if (i + 1 == n && C_CLASS(prog[i].code) != C_RET && C_CLASS(prog[i].code) != C_JMP)
			emit_jump(&c, BPF_JMP | BPF_JA, 0, 0, 0, T_REJECT);
	}
	/* only blocks something jumps to: the verifier refuses dead code */
	if (c.used_match) {
		match_at = c.n;
		epilogue_match(&c, map_fd, slot);
	}
	if (c.used_reject) {
		reject_at = c.n;
		epilogue_reject(&c);
	}
	if (c.oom) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < c.nfix; i++) {
		const struct fixup *f = &c.fix[i];
		size_t to = f->target == T_MATCH ? match_at :
			    f->target == T_REJECT ? reject_at : pos[f->target];
		long off = (long)to - (long)f->at - 1;

		if (off < INT16_MIN || off > INT16_MAX) {
			ret = -E2BIG;
			snprintf(err, errlen, "a jump of %ld eBPF instructions (at most %d)", off,
				 INT16_MAX);
			goto out;
		}
		c.insn[f->at].off = (int16_t)off;
	}
	*out = c.insn;
	*nout = c.n;
	c.insn = NULL;
out:
	free(c.insn);
	free(c.fix);
	free(reach);
	free(written);
	free(pos);
	return ret;
}

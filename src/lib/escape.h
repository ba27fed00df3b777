/* Escaping of untrusted strings (process names, command lines, paths) for
 * JSON strings, terminals and key=value comments.
 * Not for quoting or for converting argv NULs: callers add both. */
#ifndef PIDCAP_ESCAPE_H
#define PIDCAP_ESCAPE_H

#include <stddef.h>

/* Appends src[0..srclen) as the inside of a JSON string (no quotes) into dst,
 * always NUL-terminated, truncating cleanly (never in the middle of an
 * escape). Escapes ", \, control chars < 0x20 and 0x7f as \uXXXX (or \n \t
 * \r \b \f), and invalid UTF-8 bytes as \u00XX so the output is always valid
 * UTF-8 JSON. Returns the number of bytes written (excluding NUL). A dstsz
 * of 0 writes nothing and returns 0. */
size_t pc_escape_json(char *dst, size_t dstsz, const char *src, size_t srclen);

/* For terminals and key=value text: printable ASCII kept, except backslash
 * -> "\\"; every other byte (controls, ESC, bytes >= 0x7f) -> "\xNN". If
 * `space_too` is nonzero, space -> "\x20" and '=' and '"' are also escaped as
 * \xNN (for key=value comments). Same truncation contract. */
size_t pc_escape_text(char *dst, size_t dstsz, const char *src, size_t srclen,
		      int space_too);
/* space_too for the inside of "..." in text for people: space kept, '"'
 * escaped as \x22 (command lines read as typed). */
#define PC_ESC_QUOTED 2

#endif

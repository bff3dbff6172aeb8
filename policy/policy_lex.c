/*
 * The lexer of clobvault-policy(5), called by the parser in parse.y as
 * pol_yylex: words and keywords, quoted strings, $macros, the operators,
 * comments to the end of a line and lines continued by a backslash, with
 * the line and column each token starts at.  A token it refuses is
 * reported here and returned as POL_YYerror; the parser then skips to
 * the end of the line.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "policy/policy_parse.h"

static const struct {
	const char	*word;
	int		 tok;
} keywords[] = {
	{ "account",		ACCOUNT },
	{ "allow",		ALLOW },
	{ "any",		ANY },
	{ "approval-timeout",	APPROVAL_TIMEOUT },
	{ "approve",		APPROVE },
	{ "approver",		APPROVER },
	{ "body",		BODY },
	{ "burst",		BURST },
	{ "catalog",		CATALOG },
	{ "client",		CLIENT },
	{ "deny",		DENY },
	{ "in",			IN },
	{ "key-permissions",	KEY_PERMISSIONS },
	{ "l1-nonce",		L1_NONCE },
	{ "label",		LABEL },
	{ "level",		LEVEL },
	{ "limit",		LIMIT },
	{ "method",		METHOD },
	{ "nonce",		NONCE },
	{ "of",			OF },
	{ "operator",		OPERATOR },
	{ "path",		PATH },
	{ "per",		PER },
	{ "policy-change",	POLICY_CHANGE },
	{ "prefix",		PREFIX },
	{ "profile",		PROFILE },
	{ "query",		QUERY },
	{ "rate",		RATE },
	{ "skew",		SKEW },
	{ "uid",		UID },
};

static int
keyword(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].word) == n &&
		    memcmp(keywords[i].word, s, n) == 0)
			return keywords[i].tok;
	return 0;
}

static int
wordchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("_./*:@%+-", c));
}

int
pol_plain_word(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!wordchar((unsigned char)s[i]))
			return 0;
	return i > 0 && keyword(s, i) == 0;
}

/* Errors. */

void
pol_error_at(struct pctx *cx, const POL_YYLTYPE *loc, const char *fmt, ...)
{
	va_list	ap;
	char	msg[sizeof(cx->errs->e[0].msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pol_error(cx->errs, loc->first_line, loc->first_column, "%s", msg);
}

/* The lexer. */

static int
peek(const struct pctx *cx, size_t off)
{
	if (cx->pos + off >= cx->len)
		return -1;
	return (unsigned char)cx->text[cx->pos + off];
}

static void
adv(struct pctx *cx)
{
	if (cx->text[cx->pos++] == '\n') {
		cx->line++;
		cx->col = 1;
	} else
		cx->col++;
}

static void
settok(struct pctx *cx, const char *pre, const char *s, size_t n,
    const char *post)
{
	if (n > 32)
		snprintf(cx->tok, sizeof(cx->tok), "%s%.32s...%s", pre, s,
		    post);
	else
		snprintf(cx->tok, sizeof(cx->tok), "%s%.*s%s", pre, (int)n, s,
		    post);
}

static void
nul_error(struct pctx *cx)
{
	POL_YYLTYPE	loc;

	loc.first_line = loc.last_line = cx->line;
	loc.first_column = loc.last_column = cx->col;
	pol_error_at(cx, &loc, "NUL byte in text");
}

static char *
lex_dup(struct pctx *cx, const char *s, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL) {
		cx->nomem = 1;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int
lex_string(struct pctx *cx, POL_YYSTYPE *lval, const POL_YYLTYPE *loc)
{
	char	buf[VALUE_MAX];
	size_t	n = 0, i, k;
	int	c, err = 0, unsafe;

	adv(cx);
	for (;;) {
		if ((c = peek(cx, 0)) == -1 || c == '\n') {
			if (!err)
				pol_error_at(cx, loc, "unterminated string");
			return POL_YYerror;
		}
		if (c == '\0') {
			nul_error(cx);
			err = 1;
			adv(cx);
			continue;
		}
		adv(cx);
		if (c == '"')
			break;
		if (c == '\\') {
			c = peek(cx, 0);
			if (c != '"' && c != '\\') {
				if (!err)
					pol_error_at(cx, loc, "bad escape in "
					    "string (only \\\" and \\\\)");
				err = 1;
				continue;
			}
			adv(cx);
		} else if (c < 0x20 || c == 0x7f) {
			if (!err)
				pol_error_at(cx, loc, "control character in "
				    "string");
			err = 1;
			continue;
		}
		if (n == sizeof(buf)) {
			if (!err)
				pol_error_at(cx, loc, "value too long (more "
				    "than %d bytes)", VALUE_MAX);
			err = 1;
			continue;
		}
		buf[n++] = (char)c;
	}
	if (err)
		return POL_YYerror;
	if (!utf8_valid((const uint8_t *)buf, n)) {
		pol_error_at(cx, loc, "string is not valid UTF-8");
		return POL_YYerror;
	}
	/*
	 * Printable text only: a C1 control, a line separator or a bidi
	 * control would show the rule (lint's errors, show, diff, the file
	 * an approver reads before signing it) as another than it is.
	 */
	for (i = 0; i < n; i += k) {
		k = utf8_char((const uint8_t *)buf + i, n - i, &unsafe);
		if (unsafe) {
			pol_error_at(cx, loc, "control character in string");
			return POL_YYerror;
		}
	}
	/* a value is never quoted: see lex_word */
	snprintf(cx->tok, sizeof(cx->tok), "value");
	if ((lval->str = lex_dup(cx, buf, n)) == NULL)
		return POL_YYerror;
	return STRING;
}

int
pol_macro_find(const struct pctx *cx, const char *name, size_t n, size_t *at)
{
	size_t	lo = 0, hi = cx->nmacros, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(cx->macros[mid].name, name, n);
		if (c == 0 && cx->macros[mid].name[n] != '\0')
			c = 1;
		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

int
pol_macro_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
lex_macro(struct pctx *cx, POL_YYSTYPE *lval, const POL_YYLTYPE *loc)
{
	const char	*s;
	size_t		 n = 0;

	adv(cx);
	s = cx->text + cx->pos;
	while (pol_macro_char(peek(cx, 0))) {
		adv(cx);
		n++;
	}
	if (n == 0) {
		pol_error_at(cx, loc, "a macro name must follow $");
		return POL_YYerror;
	}
	/* not named: it may be a piece of a secret (see lex_word) */
	if (n > MACRO_NAME_MAX || !pol_macro_find(cx, s, n, &lval->mac)) {
		pol_error_at(cx, loc, "unknown macro");
		return POL_YYerror;
	}
	settok(cx, "$", s, n, "");
	return MACRO;
}

int
pol_yylex(POL_YYSTYPE *lval, POL_YYLTYPE *loc, struct pctx *cx)
{
	const char	*s;
	size_t		 n;
	int		 c, t, err = 0;

	for (;;) {
		c = peek(cx, 0);
		if (c == ' ' || c == '\t' || c == '\r')
			adv(cx);
		else if (c == '\\' && peek(cx, 1) == '\n') {
			adv(cx);
			adv(cx);
		} else if (c == '\\' && peek(cx, 1) == '\r' &&
		    peek(cx, 2) == '\n') {
			adv(cx);
			adv(cx);
			adv(cx);
		} else if (c == '#') {
			/* a comment ends at the newline, whatever it holds */
			while ((c = peek(cx, 0)) != -1 && c != '\n') {
				if (c == '\0') {
					nul_error(cx);
					err = 1;
				}
				adv(cx);
			}
		} else
			break;
	}
	loc->first_line = loc->last_line = cx->line;
	loc->first_column = loc->last_column = cx->col;
	if (err)
		return POL_YYerror;

	if (c == -1) {
		if (!cx->at_bol) {
			/* a last line without its newline still ends */
			cx->at_bol = 1;
			snprintf(cx->tok, sizeof(cx->tok), "end of line");
			return NL;
		}
		snprintf(cx->tok, sizeof(cx->tok), "end of file");
		return POL_YYEOF;
	}
	if (c == '\n') {
		adv(cx);
		cx->at_bol = 1;
		snprintf(cx->tok, sizeof(cx->tok), "end of line");
		return NL;
	}
	cx->at_bol = 0;

	if (c == '"')
		return lex_string(cx, lval, loc);
	if (c == '$')
		return lex_macro(cx, lval, loc);
	if (wordchar(c)) {
		s = cx->text + cx->pos;
		for (n = 0; wordchar(peek(cx, 0)); n++)
			adv(cx);
		loc->last_column = cx->col - 1;
		if (n > VALUE_MAX) {
			pol_error_at(cx, loc, "value too long (more than %d "
			    "bytes)", VALUE_MAX);
			return POL_YYerror;
		}
		/*
		 * A keyword is named in a syntax error, a value never: the
		 * file may be a secret given where the policy goes (policy
		 * sign KEYFILE --key-file POLICY, swapped), whose words
		 * would be printed.  The line and column say where.
		 */
		if ((t = keyword(s, n)) != 0) {
			settok(cx, "", s, n, "");
			return t;
		}
		snprintf(cx->tok, sizeof(cx->tok), "value");
		if ((lval->str = lex_dup(cx, s, n)) == NULL)
			return POL_YYerror;
		return WORD;
	}

	adv(cx);
	switch (c) {
	case '=':
	case '{':
	case '}':
	case ',':
		snprintf(cx->tok, sizeof(cx->tok), "'%c'", c);
		return c;
	case '<':
	case '>':
		if (peek(cx, 0) == '=') {
			adv(cx);
			snprintf(cx->tok, sizeof(cx->tok), "'%c='", c);
			return c == '<' ? LE : GE;
		}
		snprintf(cx->tok, sizeof(cx->tok), "'%c'", c);
		return c;
	case '!':
		if (peek(cx, 0) == '=') {
			adv(cx);
			snprintf(cx->tok, sizeof(cx->tok), "'!='");
			return NE;
		}
		break;
	case '\0':
		pol_error_at(cx, loc, "NUL byte in text");
		return POL_YYerror;
	}
	/*
	 * Not shown, as no value is (see the keywords above): one
	 * character on each line of a secret file is a piece of it.
	 */
	if (c > 0x20 && c < 0x7f)
		pol_error_at(cx, loc, "unexpected character (a word holds "
		    "letters, digits and _./*:@%%+-; quote other text)");
	else
		pol_error_at(cx, loc, "unexpected byte (a control character, "
		    "or text that is not ASCII outside a string)");
	return POL_YYerror;
}

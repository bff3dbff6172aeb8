/*
 * vaultd.conf(5): the grammar, in the family of the policy file's
 * (policy/parse.y).  One "key value" a line, '#' to the end of a line a
 * comment, a value a word or a quoted string ("..." with \" and \\).
 * An error skips to the end of its line, so one parse reports the
 * errors of every line, each at its line and column.  What a value may
 * be is checked by conf_set (vaultd_conf.c); the lexer is at the end of
 * this file.
 */

%code top {
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
}

%code requires {
#include "vaultd/vaultd.h"

struct conf_ctx {
	const char		*text;
	size_t			 len, pos;
	int			 line, col;
	int			 at_bol;	/* nothing on this line yet */
	int			 nomem;
	char			 tok[48];	/* the last token, for errors */
	struct vaultd_conf	*conf;
};
}

%code {
static int	 conf_yylex(CONF_YYSTYPE *, CONF_YYLTYPE *, struct conf_ctx *);
static void	 conf_yyerror(CONF_YYLTYPE *, struct conf_ctx *, const char *);
static void	 unknown_key(struct conf_ctx *, const CONF_YYLTYPE *);
}

%define api.pure full
%define api.prefix {conf_yy}
%define parse.error custom
%define parse.lac full
%locations
%parse-param {struct conf_ctx *cx}
%lex-param {struct conf_ctx *cx}

%union {
	char		*str;
	int		 key;
}

%token <str> WORD "word" STRING "string"
%token NL "end of line"
%token HOME "home" USER "user" SOCKET_GROUP "socket-group"
%token LOG_LEVEL "log-level" LOG_FILE "log-file" LOG_MAX_SIZE "log-max-size"
%token AUDIT_SEGMENT_SIZE "audit-segment-size" GATEWAY "gateway"
%token CPU_LATENCY "cpu-latency"

%type <str> value
%type <key> key

%destructor { free($$); } <str>

%%

file	: %empty
	| file line
	;

line	: NL
	| stmt NL
	| error NL		{ yyerrok; }
	;

stmt	: key value		{
		conf_set(cx->conf, $1, @1.first_line, @1.first_column, $2,
		    @2.first_line, @2.first_column);
		free($2);
	}
	| WORD values		{
		unknown_key(cx, &@1);
		free($1);
	}
	;

key	: HOME			{ $$ = CONF_HOME; }
	| USER			{ $$ = CONF_USER; }
	| SOCKET_GROUP		{ $$ = CONF_SOCKET_GROUP; }
	| LOG_LEVEL		{ $$ = CONF_LOG_LEVEL; }
	| LOG_FILE		{ $$ = CONF_LOG_FILE; }
	| LOG_MAX_SIZE		{ $$ = CONF_LOG_MAX_SIZE; }
	| AUDIT_SEGMENT_SIZE	{ $$ = CONF_AUDIT_SEGMENT_SIZE; }
	| GATEWAY		{ $$ = CONF_GATEWAY; }
	| CPU_LATENCY		{ $$ = CONF_CPU_LATENCY; }
	;

values	: %empty
	| values value		{ free($2); }
	;

value	: WORD			{ $$ = $1; }
	| STRING		{ $$ = $1; }
	;

%%

static void
conf_yyerror(CONF_YYLTYPE *loc, struct conf_ctx *cx, const char *msg)
{
	/* only "memory exhausted" comes here: parse.error is custom */
	(void)loc;
	(void)msg;
	cx->nomem = 1;
}

static const char *
sym_name(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_WORD:
	case YYSYMBOL_STRING:
		return "a value";
	case YYSYMBOL_YYEOF:
		return "end of file";
	default:
		return yysymbol_name(k);
	}
}

static int
yyreport_syntax_error(const yypcontext_t *yc, struct conf_ctx *cx)
{
	const CONF_YYLTYPE	*loc = yypcontext_location(yc);
	yysymbol_kind_t		 exp[4];
	const char		*names[4], *s;
	char			 msg[160];
	size_t			 i, j, n = 0, len;
	int			 nexp, dup;

	snprintf(msg, sizeof(msg), "syntax error: unexpected %s", cx->tok);
	nexp = yypcontext_expected_tokens(yc, exp, 4);
	for (i = 0; nexp > 0 && i < (size_t)nexp; i++) {
		s = sym_name(exp[i]);
		for (dup = 0, j = 0; j < n; j++)
			dup |= strcmp(names[j], s) == 0;
		if (!dup)
			names[n++] = s;
	}
	for (i = 0; i < n; i++) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, "%s%s",
		    i == 0 ? ", expecting " : i + 1 == n ? " or " : ", ",
		    names[i]);
	}
	conf_error(cx->conf, loc->first_line, loc->first_column, "%s", msg);
	return 0;
}

/* The lexer. */

static const struct {
	const char	*word;
	int		 tok;
} keywords[] = {
	{ "audit-segment-size",	AUDIT_SEGMENT_SIZE },
	{ "cpu-latency",	CPU_LATENCY },
	{ "gateway",		GATEWAY },
	{ "home",		HOME },
	{ "log-file",		LOG_FILE },
	{ "log-level",		LOG_LEVEL },
	{ "log-max-size",	LOG_MAX_SIZE },
	{ "socket-group",	SOCKET_GROUP },
	{ "user",		USER },
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

/*
 * A word where a key goes that is none: not named, but the keys are.
 * A secret file given as the configuration (-c and -p swapped) would
 * otherwise have its first word printed, and kept by a journal.
 */
static void
unknown_key(struct conf_ctx *cx, const CONF_YYLTYPE *loc)
{
	char	list[160];
	size_t	i, n = 0;

	list[0] = '\0';
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i > 0 ? ", " : "", keywords[i].word);
	conf_error(cx->conf, loc->first_line, loc->first_column,
	    "unknown key (the keys are %s)", list);
}

static int
wordchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c > 0 && strchr("_./:@%+-[]~", c));
}

static int
peek(const struct conf_ctx *cx, size_t off)
{
	if (cx->pos + off >= cx->len)
		return -1;
	return (unsigned char)cx->text[cx->pos + off];
}

static void
adv(struct conf_ctx *cx)
{
	if (cx->text[cx->pos++] == '\n') {
		cx->line++;
		cx->col = 1;
	} else
		cx->col++;
}

static void
settok(struct conf_ctx *cx, const char *pre, const char *s, size_t n,
    const char *post)
{
	if (n > 24)
		snprintf(cx->tok, sizeof(cx->tok), "%s%.24s...%s", pre, s,
		    post);
	else
		snprintf(cx->tok, sizeof(cx->tok), "%s%.*s%s", pre, (int)n, s,
		    post);
}

static char *
lex_dup(struct conf_ctx *cx, const char *s, size_t n)
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

/* A quoted string: printable, \" and \\ the only escapes, one line. */
static int
lex_string(struct conf_ctx *cx, CONF_YYSTYPE *lval, const CONF_YYLTYPE *loc)
{
	char	buf[VAULTD_CONF_VALUE];
	size_t	n = 0;
	int	c, err = 0;

	adv(cx);
	for (;;) {
		if ((c = peek(cx, 0)) == -1 || c == '\n') {
			if (!err)
				conf_error(cx->conf, loc->first_line,
				    loc->first_column, "unterminated string");
			return CONF_YYerror;
		}
		adv(cx);
		if (c == '"')
			break;
		if (c == '\\') {
			c = peek(cx, 0);
			if (c != '"' && c != '\\') {
				if (!err)
					conf_error(cx->conf, loc->first_line,
					    loc->first_column, "bad escape in "
					    "string (only \\\" and \\\\)");
				err = 1;
				continue;
			}
			adv(cx);
		} else if (c < 0x20 || c >= 0x7f) {
			if (!err)
				conf_error(cx->conf, loc->first_line,
				    loc->first_column, "a string holds "
				    "printable ASCII only");
			err = 1;
			continue;
		}
		if (n == sizeof(buf) - 1) {
			if (!err)
				conf_error(cx->conf, loc->first_line,
				    loc->first_column, "value too long (more "
				    "than %d bytes)", VAULTD_CONF_VALUE - 1);
			err = 1;
			continue;
		}
		buf[n++] = (char)c;
	}
	if (err)
		return CONF_YYerror;
	/* a value is never quoted in an error: see unknown_key */
	snprintf(cx->tok, sizeof(cx->tok), "value");
	if ((lval->str = lex_dup(cx, buf, n)) == NULL)
		return CONF_YYerror;
	return STRING;
}

static int
conf_yylex(CONF_YYSTYPE *lval, CONF_YYLTYPE *loc, struct conf_ctx *cx)
{
	const char	*s;
	size_t		 n;
	int		 c, t;

	for (;;) {
		c = peek(cx, 0);
		if (c == ' ' || c == '\t' || c == '\r')
			adv(cx);
		else if (c == '#') {
			while ((c = peek(cx, 0)) != -1 && c != '\n')
				adv(cx);
		} else
			break;
	}
	loc->first_line = loc->last_line = cx->line;
	loc->first_column = loc->last_column = cx->col;

	if (c == -1) {
		if (!cx->at_bol) {
			/* a last line without its newline still ends */
			cx->at_bol = 1;
			snprintf(cx->tok, sizeof(cx->tok), "end of line");
			return NL;
		}
		snprintf(cx->tok, sizeof(cx->tok), "end of file");
		return CONF_YYEOF;
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
	if (wordchar(c)) {
		s = cx->text + cx->pos;
		for (n = 0; wordchar(peek(cx, 0)); n++)
			adv(cx);
		loc->last_column = cx->col - 1;
		if (n >= VAULTD_CONF_VALUE) {
			conf_error(cx->conf, loc->first_line, loc->first_column,
			    "value too long (more than %d bytes)",
			    VAULTD_CONF_VALUE - 1);
			return CONF_YYerror;
		}
		/* a key is named in an error, a value never */
		if ((t = keyword(s, n)) != 0) {
			settok(cx, "", s, n, "");
			return t;
		}
		snprintf(cx->tok, sizeof(cx->tok), "value");
		if ((lval->str = lex_dup(cx, s, n)) == NULL)
			return CONF_YYerror;
		return WORD;
	}
	adv(cx);
	if (c > 0x20 && c < 0x7f)
		conf_error(cx->conf, loc->first_line, loc->first_column,
		    "unexpected character %c", c);
	else
		conf_error(cx->conf, loc->first_line, loc->first_column,
		    "unexpected byte 0x%02x", (unsigned)c);
	return CONF_YYerror;
}

int
conf_parse(const char *text, size_t len, struct vaultd_conf *c)
{
	struct conf_ctx	cx;
	int		pr;

	memset(&cx, 0, sizeof(cx));
	cx.text = text;
	cx.len = len;
	cx.line = cx.col = 1;
	cx.at_bol = 1;
	cx.conf = c;
	pr = conf_yyparse(&cx);
	if (cx.nomem || pr == 2)
		return CV_ERR_NOMEM;
	if (pr != 0 && c->nerrs == 0)
		conf_error(c, cx.line, cx.col, "syntax error");
	return c->nerrs > 0 || c->more ? CV_ERR_INVALID : 0;
}

/*
 * clobvault-policy(5): the grammar, in the manner of pf.conf's parse.y.
 * One statement a line; an error skips to the end of its line, so one
 * parse reports the errors of every line.  The lexer is policy_lex.c;
 * what the actions call to build and check a statement is
 * policy_build.c (values, lists, settings) and policy_build_rule.c
 * (rules); what needs the whole file (the approvers a rule names are
 * declared somewhere) is checked at the end of pol_grammar; the rest
 * (canonical forms, ids) in policy_parse.c.
 *
 * Ownership in the actions: every helper an action calls takes the
 * values handed to it, on failure too (bison does not reclaim the right
 * hand side of an action that fails), and the FAIL macro then discards
 * the statement: YYERROR recovers at the next end of line.
 */

%code top {
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
}

%code requires {
#include "policy/policy_int.h"

struct pctx;
struct plist;
struct pcmp;
}

%code {
#include "policy/policy_parse.h"

static void	 yyerror(YYLTYPE *, struct pctx *, const char *);

/* Discard the statement, or the whole parse when memory ran out. */
#define FAIL(r)	do {						\
	if ((r) == CV_ERR_NOMEM) {				\
		cx->nomem = 1;					\
		YYNOMEM;					\
	}							\
	YYERROR;						\
} while (0)
#define TRY(e)	do {						\
	int try_r_ = (e);					\
	if (try_r_ != 0)					\
		FAIL(try_r_);					\
} while (0)
}

%define api.pure full
%define api.prefix {pol_yy}
%define api.header.include {"policy/parse.h"}
%define parse.error custom
%define parse.lac full
%header
%locations
%parse-param {struct pctx *cx}
%lex-param {struct pctx *cx}

%union {
	char			*str;
	size_t			 mac;
	unsigned		 num;
	struct plist		*list;
	struct pcmp		*cmp;
	struct pol_pred		*pred;
	struct pol_budget	*budget;
	struct pol_rule		*rule;
}

%token <str> WORD "word" STRING "string"
%token <mac> MACRO "macro"
%token NL "end of line"
%token ALLOW "allow" DENY "deny" APPROVE "approve" OF "of"
%token ANY "any" OPERATOR "operator" UID "uid" CLIENT "client"
%token ACCOUNT "account" PROFILE "profile" LEVEL "level" METHOD "method"
%token PATH "path" QUERY "query" BODY "body" NONCE "nonce"
%token CATALOG "catalog" IN "in" PREFIX "prefix"
%token RATE "rate" BURST "burst" PER "per" LIMIT "limit" LABEL "label"
%token APPROVER "approver" SKEW "skew" APPROVAL_TIMEOUT "approval-timeout"
%token L1_NONCE "l1-nonce" KEY_PERMISSIONS "key-permissions"
%token POLICY_CHANGE "policy-change"
%token NE "!=" LE "<=" GE ">="

%type <str> value burst
%type <list> list items item
%type <cmp> cmp
%type <pred> pred
%type <budget> budget
%type <rule> effect rule_head rule_preds rule_budgets
%type <num> per

%destructor { free($$); } <str>
%destructor { pol_plist_free($$); } <list>
%destructor { pol_pcmp_free($$); } <cmp>
%destructor { pol_pred_free($$); } <pred>
%destructor { pol_budget_free($$); } <budget>
%destructor { pol_rule_free($$); } <rule>

%%

file	: %empty
	| file line
	;

line	: NL
	| stmt NL		{ pol_refs_end(cx, 1); }
	| error NL		{ pol_refs_end(cx, 0); yyerrok; }
	;

stmt	: WORD '=' list		{ TRY(pol_macro_define(cx, $1, &@1, $3)); }
	| APPROVER value value	{ TRY(pol_approver_add(cx, $2, &@2, $3, &@3)); }
	| SKEW value		{
		TRY(pol_set_seconds(cx, &@1, "skew", $2, &@2));
	}
	| APPROVAL_TIMEOUT value {
		TRY(pol_set_seconds(cx, &@1, "approval-timeout", $2, &@2));
	}
	| L1_NONCE cmp		{ TRY(pol_set_nonce(cx, &@1, $2)); }
	| KEY_PERMISSIONS list	{ TRY(pol_set_perms(cx, &@1, $2)); }
	| POLICY_CHANGE APPROVE value OF list {
		TRY(pol_set_change(cx, &@1, $3, &@3, $5));
	}
	| rule_budgets		{ TRY(pol_rule_finish(cx, $1, NULL, NULL)); }
	| rule_budgets LABEL value {
		TRY(pol_rule_finish(cx, $1, $3, &@3));
	}
	;

effect	: ALLOW		{ TRY(pol_rule_new(cx, POLICY_ALLOW, &@1, &$$)); }
	| DENY		{ TRY(pol_rule_new(cx, POLICY_DENY, &@1, &$$)); }
	| APPROVE value OF list	{
		TRY(pol_rule_approve(cx, &@1, $2, &@2, $4, &$$));
	}
	;

rule_head : effect ANY		{
		TRY(pol_rule_who(cx, $1, PW_ANY, NULL));
		$$ = $1;
	}
	| effect OPERATOR	{
		TRY(pol_rule_who(cx, $1, PW_OPERATOR, NULL));
		$$ = $1;
	}
	| effect OPERATOR UID list {
		TRY(pol_rule_who(cx, $1, PW_OPERATOR, $4));
		$$ = $1;
	}
	| effect CLIENT list	{
		TRY(pol_rule_who(cx, $1, PW_CLIENT, $3));
		$$ = $1;
	}
	;

rule_preds : rule_head		{ $$ = $1; }
	| rule_preds pred	{ TRY(pol_rule_pred(cx, $1, $2)); $$ = $1; }
	;

rule_budgets : rule_preds	{ $$ = $1; }
	| rule_budgets budget	{ TRY(pol_rule_budget(cx, $1, $2)); $$ = $1; }
	;

pred	: ACCOUNT list	{ TRY(pol_pred_list(cx, PP_ACCOUNT, &@1, $2, &$$)); }
	| PROFILE list	{ TRY(pol_pred_list(cx, PP_PROFILE, &@1, $2, &$$)); }
	| LEVEL list	{ TRY(pol_pred_list(cx, PP_LEVEL, &@1, $2, &$$)); }
	| METHOD list	{ TRY(pol_pred_list(cx, PP_METHOD, &@1, $2, &$$)); }
	| PATH list	{ TRY(pol_pred_list(cx, PP_PATH, &@1, $2, &$$)); }
	| QUERY value cmp	{
		TRY(pol_pred_cmp(cx, PP_QUERY, &@1, NULL, $2, &@2, $3, &$$));
	}
	| BODY value cmp	{
		TRY(pol_pred_cmp(cx, PP_BODY, &@1, NULL, $2, &@2, $3, &$$));
	}
	| NONCE cmp		{
		TRY(pol_pred_cmp(cx, PP_NONCE, &@1, NULL, NULL, NULL, $2, &$$));
	}
	| CATALOG		{
		TRY(pol_pred_list(cx, PP_CATALOG, &@1, NULL, &$$));
	}
	| WORD WORD cmp		{
		TRY(pol_pred_cmp(cx, PP_FIELD, &@1, $1, $2, &@2, $3, &$$));
	}
	;

cmp	: '=' value		{
		TRY(pol_cmp_one(cx, PO_EQ, &@1, $2, &@2, &$$));
	}
	| NE value		{
		TRY(pol_cmp_one(cx, PO_NE, &@1, $2, &@2, &$$));
	}
	| IN list		{ TRY(pol_cmp_new(cx, PO_IN, &@1, $2, &$$)); }
	| PREFIX value		{
		TRY(pol_cmp_one(cx, PO_PREFIX, &@1, $2, &@2, &$$));
	}
	| '<' value		{
		TRY(pol_cmp_one(cx, PO_LT, &@1, $2, &@2, &$$));
	}
	| LE value		{
		TRY(pol_cmp_one(cx, PO_LE, &@1, $2, &@2, &$$));
	}
	| '>' value		{
		TRY(pol_cmp_one(cx, PO_GT, &@1, $2, &@2, &$$));
	}
	| GE value		{
		TRY(pol_cmp_one(cx, PO_GE, &@1, $2, &@2, &$$));
	}
	;

budget	: RATE value burst per	{
		TRY(pol_budget_new(cx, PB_RATE, &@1, NULL, NULL, $2, &@2, $3,
		    &@3, $4, &$$));
	}
	| LIMIT value per	{
		TRY(pol_budget_new(cx, PB_COUNT, &@1, NULL, NULL, $2, &@2, NULL,
		    NULL, $3, &$$));
	}
	| LIMIT value value per	{
		TRY(pol_budget_new(cx, PB_SUM, &@1, $2, &@2, $3, &@3, NULL,
		    NULL, $4, &$$));
	}
	;

burst	: %empty		{ $$ = NULL; }
	| BURST value		{ $$ = $2; @$ = @2; }
	;

per	: %empty		{ $$ = 0; }
	| PER ACCOUNT		{ $$ = PB_PER_ACCOUNT; }
	| PER CLIENT		{ $$ = PB_PER_CLIENT; }
	| PER ACCOUNT CLIENT	{ $$ = PB_PER_ACCOUNT | PB_PER_CLIENT; }
	| PER CLIENT ACCOUNT	{ $$ = PB_PER_ACCOUNT | PB_PER_CLIENT; }
	;

value	: WORD			{ $$ = $1; }
	| STRING		{ $$ = $1; }
	| MACRO			{ TRY(pol_value_macro(cx, $1, &@1, &$$)); }
	;

list	: item			{ $$ = $1; }
	| '{' items '}'		{ $$ = $2; $$->is_list = 1; }
	;

items	: item			{ $$ = $1; }
	| items item		{ TRY(pol_plist_cat(cx, $1, $2)); $$ = $1; }
	| items ',' item	{ TRY(pol_plist_cat(cx, $1, $3)); $$ = $1; }
	;

item	: WORD			{
		if (($$ = pol_plist_one(cx, $1, &@1)) == NULL)
			FAIL(CV_ERR_NOMEM);
	}
	| STRING		{
		if (($$ = pol_plist_one(cx, $1, &@1)) == NULL)
			FAIL(CV_ERR_NOMEM);
	}
	| MACRO			{ TRY(pol_plist_macro(cx, $1, &@1, &$$)); }
	;

%%

static void
yyerror(YYLTYPE *loc, struct pctx *cx, const char *msg)
{
	/* only "memory exhausted" comes here: parse.error is custom */
	(void)loc;
	(void)msg;
	cx->nomem = 1;
}

/* A token's name in "expecting ...": the three kinds of value are one. */
static const char *
sym_name(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_WORD:
	case YYSYMBOL_STRING:
	case YYSYMBOL_MACRO:
		return "a value";
	case YYSYMBOL_YYEOF:
		return "end of file";
	case YYSYMBOL_NE:
		return "'!='";
	case YYSYMBOL_LE:
		return "'<='";
	case YYSYMBOL_GE:
		return "'>='";
	default:
		/* keywords bare, single characters in quotes */
		return yysymbol_name(k);
	}
}

static int
yyreport_syntax_error(const yypcontext_t *yc, struct pctx *cx)
{
	yysymbol_kind_t	 exp[6];
	const char	*names[6], *s;
	char		 msg[160];
	size_t		 i, j, n = 0, len;
	int		 nexp, dup;

	snprintf(msg, sizeof(msg), "syntax error: unexpected %s", cx->tok);
	nexp = yypcontext_expected_tokens(yc, exp, 6);
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
	pol_error_at(cx, yypcontext_location(yc), "%s", msg);
	return 0;
}

int
pol_grammar(const char *text, size_t len, struct policy *pol,
    struct policy_errors *errs)
{
	struct pctx	 cx;
	size_t		 i;
	int		 r = CV_ERR_INTERNAL, pr;

	memset(&cx, 0, sizeof(cx));
	cx.text = text;
	cx.len = len;
	cx.line = cx.col = 1;
	cx.at_bol = 1;
	cx.pol = pol;
	cx.errs = errs;
	pr = pol_yyparse(&cx);
	if (cx.nomem || pr == 2) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < cx.refs_done; i++) {
		if (pol_approver_find(pol, cx.refs[i].name) < 0)
			pol_error(errs, cx.refs[i].line, cx.refs[i].col,
			    "this approver is not declared");
	}
	if (pr != 0 && errs->n == 0)
		pol_error(errs, cx.line, cx.col, "syntax error");
	r = errs->n > 0 || errs->more ? CV_ERR_INVALID : 0;
 out:
	for (i = 0; i < cx.nmacros; i++) {
		free(cx.macros[i].name);
		pol_plist_free(cx.macros[i].val);
	}
	free(cx.macros);
	for (i = 0; i < cx.nrefs; i++)
		free(cx.refs[i].name);
	free(cx.refs);
	return r;
}

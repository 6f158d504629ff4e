"""Is this compiled SQL BigQuery's own? A static check for constructs of other engines.

The emulator cannot answer this: it runs BigQuery SQL on DuckDB, so it also runs DuckDB's own
functions and syntax (`epoch_us(ts)`, `x::varchar`, `regexp_matches`, `ilike`, ...), which real
BigQuery rejects. So the SQL dbt compiles for the BigQuery target is checked here:

- it parses with sqlglot's BigQuery dialect, errors raised (not just warned);
- every function called is a BigQuery function (closed list below: a new one fails the check
  until someone confirms it in the BigQuery reference and adds it);
- every type in CAST/SAFE_CAST is a BigQuery type name (`varchar`, `double`, `text`, ... are not);
- no `::` casts, `ilike`, JSON arrows, `{...}` struct literals or `* exclude (...)`.

`problems(sql)` returns what it found, as messages; an empty list means clean.
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ErrorLevel, ParseError
from sqlglot.tokens import Token, TokenType

# GoogleSQL (BigQuery) functions, by family. Names only: arity and types are BigQuery's business.
BIGQUERY_FUNCTIONS = frozenset("""
    ANY_VALUE ARRAY_AGG ARRAY_CONCAT_AGG AVG BIT_AND BIT_OR BIT_XOR COUNT COUNTIF GROUPING
    LOGICAL_AND LOGICAL_OR MAX MAX_BY MIN MIN_BY STRING_AGG SUM
    APPROX_COUNT_DISTINCT APPROX_QUANTILES APPROX_TOP_COUNT APPROX_TOP_SUM
    CORR COVAR_POP COVAR_SAMP STDDEV STDDEV_POP STDDEV_SAMP VARIANCE VAR_POP VAR_SAMP
    CUME_DIST DENSE_RANK NTILE PERCENT_RANK RANK ROW_NUMBER
    FIRST_VALUE LAST_VALUE NTH_VALUE LAG LEAD PERCENTILE_CONT PERCENTILE_DISC
    CAST SAFE_CAST PARSE_NUMERIC PARSE_BIGNUMERIC
    COALESCE IF IFNULL NULLIF
    ABS ACOS ACOSH ASIN ASINH ATAN ATAN2 ATANH CBRT CEIL CEILING COS COSH COT COTH CSC CSCH DIV
    EXP FLOOR GREATEST IEEE_DIVIDE IS_INF IS_NAN LEAST LN LOG LOG10 MOD POW POWER RAND
    RANGE_BUCKET ROUND SAFE_ADD SAFE_DIVIDE SAFE_MULTIPLY SAFE_NEGATE SAFE_SUBTRACT SEC SECH SIGN
    SIN SINH SQRT TAN TANH TRUNC
    ASCII BYTE_LENGTH CHAR_LENGTH CHARACTER_LENGTH CHR CODE_POINTS_TO_BYTES CODE_POINTS_TO_STRING
    COLLATE CONCAT CONTAINS_SUBSTR EDIT_DISTANCE ENDS_WITH FORMAT FROM_BASE32 FROM_BASE64 FROM_HEX
    INITCAP INSTR LEFT LENGTH LOWER LPAD LTRIM NORMALIZE NORMALIZE_AND_CASEFOLD OCTET_LENGTH
    REGEXP_CONTAINS REGEXP_EXTRACT REGEXP_EXTRACT_ALL REGEXP_INSTR REGEXP_REPLACE REGEXP_SUBSTR
    REPEAT REPLACE REVERSE RIGHT RPAD RTRIM SAFE_CONVERT_BYTES_TO_STRING SOUNDEX SPLIT STARTS_WITH
    STRPOS SUBSTR SUBSTRING TO_BASE32 TO_BASE64 TO_CODE_POINTS TO_HEX TRANSLATE TRIM UNICODE UPPER
    FARM_FINGERPRINT MD5 SHA1 SHA256 SHA512
    JSON_EXTRACT JSON_EXTRACT_ARRAY JSON_EXTRACT_SCALAR JSON_EXTRACT_STRING_ARRAY JSON_QUERY
    JSON_QUERY_ARRAY JSON_VALUE JSON_VALUE_ARRAY JSON_TYPE JSON_KEYS JSON_OBJECT JSON_ARRAY
    JSON_SET JSON_REMOVE JSON_STRIP_NULLS PARSE_JSON TO_JSON TO_JSON_STRING
    BOOL INT64 FLOAT64 STRING LAX_BOOL LAX_INT64 LAX_FLOAT64 LAX_STRING
    ARRAY ARRAY_CONCAT ARRAY_FIRST ARRAY_LAST ARRAY_LENGTH ARRAY_REVERSE ARRAY_SLICE ARRAY_TO_STRING
    GENERATE_ARRAY GENERATE_DATE_ARRAY GENERATE_TIMESTAMP_ARRAY OFFSET ORDINAL SAFE_OFFSET
    SAFE_ORDINAL UNNEST STRUCT
    CURRENT_DATE DATE DATE_ADD DATE_BUCKET DATE_DIFF DATE_FROM_UNIX_DATE DATE_SUB DATE_TRUNC
    EXTRACT FORMAT_DATE LAST_DAY PARSE_DATE UNIX_DATE
    CURRENT_DATETIME DATETIME DATETIME_ADD DATETIME_BUCKET DATETIME_DIFF DATETIME_SUB
    DATETIME_TRUNC FORMAT_DATETIME PARSE_DATETIME
    CURRENT_TIME TIME TIME_ADD TIME_DIFF TIME_SUB TIME_TRUNC FORMAT_TIME PARSE_TIME
    CURRENT_TIMESTAMP FORMAT_TIMESTAMP PARSE_TIMESTAMP TIMESTAMP TIMESTAMP_ADD TIMESTAMP_BUCKET
    TIMESTAMP_DIFF TIMESTAMP_MICROS TIMESTAMP_MILLIS TIMESTAMP_SECONDS TIMESTAMP_SUB
    TIMESTAMP_TRUNC UNIX_MICROS UNIX_MILLIS UNIX_SECONDS
    MAKE_INTERVAL JUSTIFY_DAYS JUSTIFY_HOURS JUSTIFY_INTERVAL
    GENERATE_UUID SESSION_USER ERROR
    NET.HOST NET.PUBLIC_SUFFIX NET.REG_DOMAIN NET.IP_FROM_STRING NET.SAFE_IP_FROM_STRING
    NET.IP_TO_STRING NET.IP_NET_MASK NET.IP_TRUNC NET.IPV4_FROM_INT64 NET.IPV4_TO_INT64
""".split())

# Type names CAST accepts on BigQuery (INT64's aliases included).
BIGQUERY_TYPES = frozenset("""
    STRING BYTES INT64 INT SMALLINT INTEGER BIGINT TINYINT BYTEINT NUMERIC DECIMAL BIGNUMERIC
    BIGDECIMAL FLOAT64 BOOL DATE DATETIME TIME TIMESTAMP INTERVAL JSON GEOGRAPHY ARRAY STRUCT RANGE
""".split())

# Words that are followed by "(" as syntax, not as a function call.
_SYNTAX_BEFORE_PARENTHESIS = frozenset("""
    AS IN OVER EXISTS VALUES USING ON AND OR NOT WHEN THEN ELSE FROM JOIN SELECT WHERE ALL
    DISTINCT UNION EXCEPT INTERSECT BY WINDOW WITH HAVING QUALIFY TABLE INTO OPTIONS LIKE
    BETWEEN IS CASE ROLLUP CUBE SETS RETURNS
""".split())

_FORBIDDEN_TOKENS = {
    TokenType.DCOLON: "`::` cast (DuckDB/Postgres syntax; use cast(x as T))",
    TokenType.ILIKE: "ILIKE (not BigQuery; compare lower() values or use regexp_contains with (?i))",
    TokenType.ARROW: "`->` JSON arrow (not BigQuery; use json_query/json_value)",
    TokenType.DARROW: "`->>` JSON arrow (not BigQuery; use json_value)",
    TokenType.L_BRACE: "`{...}` struct/map literal (not BigQuery; use STRUCT(... AS name))",
}
_WORD_TOKENS = {TokenType.VAR}


def _tokens(sql: str) -> list[Token]:
    return sqlglot.Dialect.get_or_raise("bigquery").tokenize(sql)


def _is_word(token: Token) -> bool:
    # keywords (DATE, LEFT, IF, ...) and plain identifiers; not strings, numbers or `quoted` names
    return token.token_type not in (TokenType.STRING, TokenType.NUMBER, TokenType.IDENTIFIER) and token.text.replace("_", "").isalnum()


def problems(sql: str) -> list[str]:
    """What in `sql` is not BigQuery SQL, as messages (empty: nothing found)."""
    found: list[str] = []
    try:
        sqlglot.parse(sql, read="bigquery", error_level=ErrorLevel.RAISE)
    except ParseError as error:
        found.append(f"does not parse as BigQuery SQL: {str(error).splitlines()[0]}")
    try:
        tokens = _tokens(sql)
    except Exception as error:  # sqlglot's TokenError: unterminated strings and the like
        return [*found, f"does not tokenize as BigQuery SQL: {error}"]

    parentheses: list[str | None] = []  # for each open "(", the function it calls (or None)
    for index, token in enumerate(tokens):
        if token.token_type in _FORBIDDEN_TOKENS:
            found.append(f"line {token.line}: {_FORBIDDEN_TOKENS[token.token_type]}")
        previous = tokens[index - 1] if index else None
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.text.upper() == "EXCLUDE" and previous is not None and previous.token_type == TokenType.STAR:
            found.append(f"line {token.line}: `* exclude (...)` (DuckDB; BigQuery says `* except (...)`)")

        if token.token_type == TokenType.L_PAREN:
            function = None
            if previous is not None and _is_word(previous) and previous.text.upper() not in _SYNTAX_BEFORE_PARENTHESIS:
                function = previous.text.upper()
                # NET.HOST(...), SAFE.PARSE_DATE(...)
                if index >= 3 and tokens[index - 2].token_type == TokenType.DOT and _is_word(tokens[index - 3]):
                    prefix = tokens[index - 3].text.upper()
                    function = function if prefix == "SAFE" else f"{prefix}.{function}"
                if function not in BIGQUERY_FUNCTIONS:
                    found.append(f"line {previous.line}: {function.lower()}() is not a BigQuery function")
            parentheses.append(function)
        elif token.token_type == TokenType.R_PAREN:
            if parentheses:
                parentheses.pop()
        elif (
            token.token_type == TokenType.ALIAS
            and parentheses
            and parentheses[-1] in ("CAST", "SAFE_CAST")
            and following is not None
            and following.text.upper() not in BIGQUERY_TYPES
        ):
            found.append(f"line {following.line}: cast to {following.text.lower()}, not a BigQuery type")
    return found

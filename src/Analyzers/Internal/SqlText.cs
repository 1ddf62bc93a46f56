using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>What a statement does to the data, judged from its SQL text.</summary>
internal enum SqlKind
{
    /// <summary>The text is not known here (built at run time), or its first keyword is not one this class knows.</summary>
    Unknown,

    /// <summary><c>SELECT</c>, <c>VALUES</c>, <c>SHOW</c>, a <c>WITH</c> whose every part reads, …</summary>
    Read,

    /// <summary><c>INSERT</c>/<c>UPDATE</c>/<c>DELETE</c>/<c>MERGE</c>/<c>COPY … FROM</c>/<c>TRUNCATE</c>/<c>CALL</c>/<c>DO</c>, or a <c>WITH</c> holding one.</summary>
    Write,

    /// <summary>DDL and session statements (<c>CREATE</c>, <c>SET</c>, <c>LOCK</c>, …): they change no business data a job refers to.</summary>
    NotData,
}

/// <summary>
/// Classifies SQL by keywords, the way PostgreSQL reads it: comments, string literals, quoted identifiers and dollar quotes are
/// skipped; each statement of a multi-statement text counts, and a <c>WITH</c> writes when any of its parts does.
/// </summary>
internal static class SqlText
{
    private static readonly HashSet<string> WriteKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CALL", "DO", "COPY", "UPSERT",
    };

    private static readonly HashSet<string> CteWriteKeywords = new(StringComparer.OrdinalIgnoreCase) { "INSERT", "UPDATE", "DELETE", "MERGE" };

    private static readonly HashSet<string> ReadKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "VALUES", "TABLE", "SHOW", "EXPLAIN", "FETCH", "LISTEN",
    };

    private static readonly HashSet<string> NotDataKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "SET", "RESET", "LOCK", "BEGIN", "START", "COMMIT", "END", "ROLLBACK",
        "SAVEPOINT", "RELEASE", "VACUUM", "ANALYZE", "DISCARD", "PREPARE", "DEALLOCATE", "DECLARE", "CLOSE", "UNLISTEN", "NOTIFY",
        "REFRESH", "REINDEX", "CLUSTER", "CHECKPOINT", "SECURITY", "LOAD",
    };

    /// <summary>
    /// The SQL an operation passes, when it is known at compile time: a constant (literal, <c>const</c>, raw string), a local
    /// assigned once from one, or the leading constant text of an interpolated string or concatenation (enough for the first keyword).
    /// </summary>
    public static string? TextOf(IOperation? operation, IOperation root)
    {
        for (var depth = 0; operation is not null && depth < 4; depth++)
        {
            operation = Operations.Unwrap(operation);
            if (operation.ConstantValue is { HasValue: true, Value: string text })
            {
                return text;
            }

            switch (operation)
            {
                case IInterpolatedStringOperation interpolated:
                    return interpolated.Parts.Length > 0 && interpolated.Parts[0] is IInterpolatedStringTextOperation first
                        && first.Text.ConstantValue is { HasValue: true, Value: string leading }
                        ? leading + " \u0001"
                        : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation:
                    return TextOf(concatenation.LeftOperand, root) is { } left ? left + " \u0001" : null;
                case ILocalReferenceOperation local when AssignedOnce(local.Local, root):
                    operation = TransactionFacts.InitializerOf(local.Local, root);
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>Classifies <paramref name="sql"/>; a trailing <c>\u0001</c> marks text cut off where a run-time value begins.</summary>
    public static SqlKind Classify(string? sql)
    {
        if (sql is null)
        {
            return SqlKind.Unknown;
        }

        var statements = Statements(sql);
        var result = SqlKind.NotData;
        var sawAny = false;
        foreach (var words in statements)
        {
            if (words.Count == 0)
            {
                continue;
            }

            sawAny = true;
            var kind = ClassifyStatement(words);
            if (kind == SqlKind.Write)
            {
                return SqlKind.Write;
            }

            if (kind == SqlKind.Unknown || (kind == SqlKind.Read && result == SqlKind.NotData))
            {
                result = kind == SqlKind.Unknown ? SqlKind.Unknown : SqlKind.Read;
            }
        }

        return sawAny ? result : SqlKind.Unknown;
    }

    private static SqlKind ClassifyStatement(List<string> words)
    {
        while (words.Count > 0 && words[0] == "(")
        {
            words.RemoveAt(0);
        }

        if (words.Count == 0)
        {
            return SqlKind.Unknown;
        }

        var first = words[0];
        if (first == "\u0001")
        {
            return SqlKind.Unknown;
        }

        if (first.Equals("WITH", StringComparison.OrdinalIgnoreCase) || first.Equals("EXPLAIN", StringComparison.OrdinalIgnoreCase))
        {
            // A data-modifying CTE writes wherever it stands; EXPLAIN ANALYZE runs its statement. Cut-off text may hide one.
            var analyze = !first.Equals("EXPLAIN", StringComparison.OrdinalIgnoreCase);
            for (var i = 1; i < words.Count; i++)
            {
                var word = words[i];
                if (word == "\u0001")
                {
                    return SqlKind.Unknown;
                }

                analyze |= word.Equals("ANALYZE", StringComparison.OrdinalIgnoreCase) || word.Equals("ANALYSE", StringComparison.OrdinalIgnoreCase);

                // FOR UPDATE / FOR NO KEY UPDATE lock rows; they do not change them.
                var previous = words[i - 1];
                if (analyze && CteWriteKeywords.Contains(word)
                    && !previous.Equals("FOR", StringComparison.OrdinalIgnoreCase) && !previous.Equals("KEY", StringComparison.OrdinalIgnoreCase))
                {
                    return SqlKind.Write;
                }
            }

            return SqlKind.Read;
        }

        if (first.Equals("COPY", StringComparison.OrdinalIgnoreCase))
        {
            // COPY … FROM loads rows; COPY … TO exports them, and so does COPY (query) TO, whose query may say FROM.
            if (words.Count > 1 && words[1] == "(")
            {
                return SqlKind.Read;
            }

            foreach (var word in words)
            {
                if (word.Equals("FROM", StringComparison.OrdinalIgnoreCase))
                {
                    return SqlKind.Write;
                }

                if (word.Equals("TO", StringComparison.OrdinalIgnoreCase))
                {
                    return SqlKind.Read;
                }
            }

            return SqlKind.Unknown;
        }

        if (first.Equals("SELECT", StringComparison.OrdinalIgnoreCase) && words.Count > 1)
        {
            // SELECT … INTO new_table creates a table: schema, not business data. Everything else reads.
            return SqlKind.Read;
        }

        if (WriteKeywords.Contains(first))
        {
            return SqlKind.Write;
        }

        if (ReadKeywords.Contains(first))
        {
            return SqlKind.Read;
        }

        return NotDataKeywords.Contains(first) ? SqlKind.NotData : SqlKind.Unknown;
    }

    /// <summary>The words of each statement, outside comments, literals and quoted identifiers.</summary>
    private static List<List<string>> Statements(string sql)
    {
        var statements = new List<List<string>> { new() };
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
            }
            else if (c is '\'' or '"')
            {
                var end = sql.IndexOf(c, i + 1);
                i = end < 0 ? sql.Length : end + 1;
            }
            else if (c == '$' && DollarTag(sql, i) is { } tag)
            {
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + tag.Length;
            }
            else if (c == ';')
            {
                statements.Add(new List<string>());
                i++;
            }
            else if (c == '(')
            {
                // Kept so COPY can tell "COPY (query) TO" from "COPY table (columns) FROM"; skipped when looking for the first keyword.
                statements[statements.Count - 1].Add("(");
                i++;
            }
            else if (c == '\u0001')
            {
                statements[statements.Count - 1].Add("\u0001");
                i++;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$'))
                {
                    i++;
                }

                statements[statements.Count - 1].Add(sql.Substring(start, i - start));
            }
            else
            {
                i++;
            }
        }

        return statements;
    }

    private static string? DollarTag(string sql, int start)
    {
        var i = start + 1;
        while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
        {
            i++;
        }

        // $1 is a parameter, not a dollar quote.
        return i < sql.Length && sql[i] == '$' && (i == start + 1 || !char.IsDigit(sql[start + 1])) ? sql.Substring(start, i - start + 1) : null;
    }

    private static bool AssignedOnce(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IAssignmentOperation { Target: ILocalReferenceOperation target }
                && SymbolEqualityComparer.Default.Equals(target.Local, local))
            {
                return false;
            }
        }

        return true;
    }
}

using Queues.Analyzers.Internal;

namespace Queues.Analyzers.Tests;

public sealed class SqlTextTests
{
    [Theory]
    [InlineData("INSERT INTO t VALUES (1)", "Write")]
    [InlineData("  update t set a = 1", "Write")]
    [InlineData("WITH x AS (DELETE FROM t RETURNING id) SELECT count(*) FROM x", "Write")]
    [InlineData("WITH x AS (SELECT id FROM t) SELECT count(*) FROM x", "Read")]
    [InlineData("WITH x AS (SELECT id FROM t) SELECT id FROM x FOR UPDATE", "Read")]
    [InlineData("SELECT 'delete' FROM t", "Read")]
    [InlineData("-- update comment\nSELECT 1", "Read")]
    [InlineData("/* delete */ SELECT 1; INSERT INTO t VALUES (2)", "Write")]
    [InlineData("SELECT $$ update $$", "Read")]
    [InlineData("COPY t FROM STDIN (FORMAT BINARY)", "Write")]
    [InlineData("COPY (SELECT 1) TO STDOUT", "Read")]
    [InlineData("COPY (SELECT key FROM items) TO STDOUT", "Read")]
    [InlineData("COPY items (key, value) FROM STDIN", "Write")]
    [InlineData("(SELECT 1) UNION (SELECT 2)", "Read")]
    [InlineData("EXPLAIN ANALYZE DELETE FROM t", "Write")]
    [InlineData("EXPLAIN DELETE FROM t", "Read")]
    [InlineData("CREATE TABLE IF NOT EXISTS t (id int)", "NotData")]
    [InlineData("SET statement_timeout = 0", "NotData")]
    [InlineData("VACUUMX t", "Unknown")]
    [InlineData("WITH x AS (SELECT 1) \u0001", "Unknown")]
    [InlineData("UPDATE \u0001", "Write")]
    public void StatementIsClassifiedByItsKeywords(string sql, string expected) => Assert.Equal(expected, SqlText.Classify(sql).ToString());

    [Fact]
    public void TextBuiltAtRunTimeIsUnknown() => Assert.Equal(SqlKind.Unknown, SqlText.Classify(null));
}

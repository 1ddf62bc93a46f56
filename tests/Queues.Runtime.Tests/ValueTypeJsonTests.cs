using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Queues.Runtime.Tests;

/// <summary>JobId and JobState in an API: JSON as their value, and bound from routes and query strings.</summary>
public sealed class ValueTypeJsonTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void JobId_SerializesAsItsNumber_WithTheSourceGenerator()
    {
        var json = JsonSerializer.Serialize(new Created(new JobId(42), new JobId(7), JobState.Completed), ValueTypeJsonContext.Default.Created);

        Assert.Equal("""{"id":42,"previous":7,"state":"completed"}""", json);
    }

    [Fact]
    public void JobId_SerializesAsItsNumber_WithReflectionOptions()
    {
        Assert.Equal("42", JsonSerializer.Serialize(new JobId(42), Web));
        Assert.Equal("""{"5":"x"}""", JsonSerializer.Serialize(new Dictionary<JobId, string> { [new JobId(5)] = "x" }, Web));
    }

    [Fact]
    public void JobId_RoundTrips_FromANumberOrAString()
    {
        var fromNumber = JsonSerializer.Deserialize("""{"id":42,"previous":null,"state":"Running"}""", ValueTypeJsonContext.Default.Created)!;
        var fromString = JsonSerializer.Deserialize("""{"id":"9007199254740993","previous":"1","state":"running"}""", ValueTypeJsonContext.Default.Created)!;

        Assert.Equal(new Created(new JobId(42), null, JobState.Running), fromNumber);
        Assert.Equal(new Created(new JobId(9007199254740993), new JobId(1), JobState.Running), fromString);
    }

    [Theory]
    [InlineData("""{"id":true,"previous":null,"state":"running"}""")]
    [InlineData("""{"id":1,"previous":null,"state":"sleeping"}""")]
    public void BadJson_Throws(string json)
        => Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ValueTypeJsonContext.Default.Created));

    [Fact]
    public void JobId_ParsesAsIParsable()
    {
        Assert.Equal(new JobId(17), ParseAs<JobId>("17"));
        Assert.True(JobId.TryParse("-3", out var negative));
        Assert.Equal(new JobId(-3), negative);
        Assert.False(JobId.TryParse("abc", out _));
        Assert.False(JobId.TryParse((string?)null, out _));
        Assert.Throws<FormatException>(() => JobId.Parse("1.5"));
        Assert.Equal("0000017", new JobId(17).ToString("D7", null));
    }

    [Fact]
    public async Task JobId_BindsFromARouteValueAndAQueryString_InAMinimalApi()
    {
        var handler = RequestDelegateFactory.Create(static (JobId id, JobId? after) => $"{id.Value}|{after?.Value}");
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().BuildServiceProvider() };
        context.Request.RouteValues["id"] = "123";
        context.Request.QueryString = new QueryString("?after=45");
        context.Response.Body = new MemoryStream();

        await handler.RequestDelegate(context);

        context.Response.Body.Position = 0;
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("123|45", await new StreamReader(context.Response.Body).ReadToEndAsync(TestContext.Current.CancellationToken));
    }

    private static T ParseAs<T>(string text) where T : IParsable<T> => T.Parse(text, null);
}

/// <summary>An API answer holding the public value types.</summary>
public sealed record Created(JobId Id, JobId? Previous, JobState State);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Created))]
internal sealed partial class ValueTypeJsonContext : JsonSerializerContext;

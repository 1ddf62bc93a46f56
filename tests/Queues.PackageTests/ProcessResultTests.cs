namespace Queues.PackageTests;

/// <summary>The warning filter the package tests fail on must see every tool's warning format.</summary>
public sealed class ProcessResultTests
{
    [Fact]
    public void Warnings_FindTheCompilersNuGetsAndTheAotCompilersFormats()
    {
        var result = new ProcessResult("dotnet publish", 0, string.Join('\n',
            "/app/Program.cs(3,1): warning CS8602: Dereference of a possibly null reference. [/app/App.csproj]",
            "/app/App.csproj : warning NU1603: App depends on Npgsql (>= 10.0.0) but Npgsql 10.0.0 was not found.",
            "ILC : Trim analysis warning IL2026: Program.<Main>$: Using member 'X' which has 'RequiresUnreferencedCodeAttribute'.",
            "ILC : AOT analysis warning IL3050: Program.<Main>$: Using member 'Y' which has 'RequiresDynamicCodeAttribute'.",
            "  Build succeeded.",
            "    0 Warning(s)",
            "  Treating warnings as errors is off."));

        Assert.Equal(4, result.Warnings.Count);
    }
}

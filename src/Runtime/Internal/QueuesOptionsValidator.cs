using Microsoft.Extensions.Options;

namespace Queues.Internal;

/// <summary>Runs <see cref="QueuesOptions.Validate"/> in the options pipeline, so every setting is checked once, at start.</summary>
internal sealed class QueuesOptionsValidator : IValidateOptions<QueuesOptions>
{
    public ValidateOptionsResult Validate(string? name, QueuesOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail(exception.Message);
        }
    }
}

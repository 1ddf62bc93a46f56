using System.Text;

namespace Queues.Generator.Parsing;

internal static class JobNames
{
    /// <summary>
    /// <c>userOnboarding</c> → <c>UserOnboarding</c>, <c>user-onboarding</c> → <c>UserOnboarding</c>,
    /// <c>billing.invoice_paid</c> → <c>BillingInvoicePaid</c>. Letters and digits are kept, every other character
    /// starts a new word. Returns null when the result is not a valid identifier.
    /// </summary>
    public static string? ToPascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        var upperNext = true;
        foreach (var c in name)
        {
            if (c < 128 && char.IsLetterOrDigit(c))
            {
                builder.Append(upperNext ? char.ToUpperInvariant(c) : c);
                upperNext = false;
            }
            else
            {
                upperNext = true;
            }
        }

        return builder.Length == 0 || char.IsDigit(builder[0]) ? null : builder.ToString();
    }
}

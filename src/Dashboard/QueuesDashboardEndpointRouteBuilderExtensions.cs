using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Queues.Dashboard.Internal;

namespace Queues.Dashboard;

/// <summary>Maps the Queues dashboard into an ASP.NET Core app.</summary>
public static class QueuesDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the dashboard under <paramref name="prefix"/>: the page, its assets and the JSON endpoints it polls.
    /// Needs <c>services.AddQueues(...)</c> (the dashboard reads through <see cref="QueuesAdmin"/>) and
    /// <c>services.AddAntiforgery()</c>.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="prefix">The path, for example <c>"/queues"</c>.</param>
    /// <param name="configure">Sets the options, or null for the defaults (read-only, payloads hidden).</param>
    /// <returns>The endpoints' group, to add conventions to (rate limiting, host filtering...).</returns>
    /// <exception cref="InvalidOperationException">
    /// A service is missing, or no <see cref="QueuesDashboardOptions.AuthorizationPolicy"/> is set and the environment is
    /// not Development.
    /// </exception>
    public static RouteGroupBuilder MapQueuesDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/queues", Action<QueuesDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.StartsWith('/'))
        {
            throw new ArgumentException($"The dashboard prefix must start with '/'; it was '{prefix}'.", nameof(prefix));
        }

        var options = new QueuesDashboardOptions();
        configure?.Invoke(options);
        if (options.RefreshInterval < TimeSpan.FromMilliseconds(250))
        {
            throw new ArgumentOutOfRangeException(nameof(configure), options.RefreshInterval, "QueuesDashboardOptions.RefreshInterval must be at least 250 ms.");
        }

        var services = endpoints.ServiceProvider;
        var environment = services.GetService<IHostEnvironment>();
        if (options.AuthorizationPolicy is null && environment?.IsDevelopment() != true)
        {
            throw new InvalidOperationException(
                $"The Queues dashboard at '{prefix}' has no authorization policy and the environment is '{environment?.EnvironmentName ?? "unknown"}', not Development. " +
                "Set QueuesDashboardOptions.AuthorizationPolicy to a policy that admits your operators (MapQueuesDashboard(\"/queues\", o => o.AuthorizationPolicy = \"Ops\")), " +
                "so the dashboard is never public by accident.");
        }

        if (services.GetService<QueuesAdmin>() is null)
        {
            throw new InvalidOperationException("The Queues dashboard reads through QueuesAdmin: call services.AddQueues(...) before mapping it.");
        }

        if (options.ActionPolicy is not null && services.GetService<IAuthorizationService>() is null)
        {
            throw new InvalidOperationException(
                $"QueuesDashboardOptions.ActionPolicy is '{options.ActionPolicy}', which needs the authorization services: call services.AddAuthorization(...) before mapping the dashboard.");
        }

        if (services.GetService<IAntiforgery>() is null)
        {
            throw new InvalidOperationException("The Queues dashboard protects its actions with antiforgery tokens: call services.AddAntiforgery() before mapping it.");
        }

        var group = endpoints.MapGroup(prefix.TrimEnd('/'));
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        new DashboardEndpoints(options, prefix.TrimEnd('/')).Map(group);
        return group;
    }
}

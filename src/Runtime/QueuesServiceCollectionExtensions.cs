using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Queues.Internal;

namespace Queues;

/// <summary>Registers Queues in a service collection.</summary>
public static class QueuesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="QueuesClient"/> and the worker (a hosted service that runs the registered handlers).
    /// Chain the generated <c>.AddJobs()</c> to register this project's handlers and its <c>Jobs</c> class.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; at least a connection string, unless an <c>NpgsqlDataSource</c> is registered.</param>
    /// <returns>A builder to add job handlers to.</returns>
    public static QueuesBuilder AddQueues(this IServiceCollection services, Action<QueuesOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        var registry = FindRegistry(services);
        if (registry is null)
        {
            registry = new JobRegistry();
            services.AddSingleton(registry);

            // Validated once, when the options are first built (at host start, through ValidateOnStart).
            services.AddOptions<QueuesOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueuesOptions>, QueuesOptionsValidator>());
            services.AddSingleton(static sp => QueuesDataSource.Create(sp));
            services.AddSingleton(static sp =>
            {
                var options = sp.GetRequiredService<IOptions<QueuesOptions>>().Value;
                return new JobStore(sp.GetRequiredService<QueuesDataSource>().DataSource, options.Schema, options.PrepareStatements, options.UseNotifications);
            });
            services.AddSingleton(static sp => new QueuesClient(sp.GetRequiredService<JobStore>()));
            services.AddSingleton(static sp => new QueuesAdmin(sp.GetRequiredService<JobStore>(),
                (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(LogMessages.Categories.Admin))
            {
                RescueAfter = sp.GetRequiredService<IOptions<QueuesOptions>>().Value.RescueAfter,
            });
            services.AddSingleton<WorkerLiveness>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, QueuesWorker>());
        }

        return new QueuesBuilder(services, registry);
    }

    /// <summary>
    /// Registers the <see cref="QueuesClient"/> and the worker, with options bound from a configuration section, such as
    /// <c>configuration.GetSection("Queues")</c>. Every <see cref="QueuesOptions"/> setting except
    /// <see cref="QueuesOptions.RetryDelay"/> has a key of the same name; <c>Queues</c> maps queue names to concurrency
    /// and time spans are written as <c>"00:00:05"</c>. Invalid values fail at start with a message naming the key.
    /// The binding is generated at compile time (no reflection), so it is safe under trimming and native AOT.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the options.</param>
    /// <returns>A builder to add job handlers to.</returns>
    public static QueuesBuilder AddQueues(this IServiceCollection services, IConfiguration configuration)
        => AddQueues(services, configuration, configure: null);

    /// <summary>
    /// Registers the <see cref="QueuesClient"/> and the worker, with options bound from a configuration section and then
    /// adjusted in code (for what configuration cannot hold, such as <see cref="QueuesOptions.RetryDelay"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the options, such as <c>configuration.GetSection("Queues")</c>.</param>
    /// <param name="configure">Runs after binding; null to bind only.</param>
    /// <returns>A builder to add job handlers to.</returns>
    public static QueuesBuilder AddQueues(this IServiceCollection services, IConfiguration configuration, Action<QueuesOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<QueuesOptions>(options =>
        {
            // An intercepted call: the configuration-binding generator emits the binding code for QueuesOptions.
            configuration.Bind(options);
            if (configuration is IConfigurationSection section)
            {
                options.BoundFrom(section);
            }
        });
        return AddQueues(services, configure);
    }

    private static JobRegistry? FindRegistry(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(JobRegistry) && descriptor.ImplementationInstance is JobRegistry registry)
            {
                return registry;
            }
        }

        return null;
    }
}

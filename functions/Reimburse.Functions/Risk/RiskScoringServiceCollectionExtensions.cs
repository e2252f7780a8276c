using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Azure.Storage.Blobs;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Risk;

/// <summary>DI registration of risk scoring.</summary>
public static class RiskScoringServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RiskScoringService"/>, <see cref="RiskModelTrainer"/> and
    /// <see cref="RiskModelStore"/> (container from <c>Reimburse:Risk:ContainerName</c>, default
    /// "risk-models", on the <see cref="Azure.Storage.Blobs.BlobServiceClient"/> the host registers), with options bound
    /// from <c>Reimburse:Risk</c> and validated at start.
    /// </summary>
    public static IServiceCollection AddRiskScoring(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RiskScoringOptions>()
            .BindConfiguration(RiskScoringOptions.Section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RiskScoringOptions>, RiskScoringOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new RiskModelStore(
            sp.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(sp.GetRequiredService<IOptions<RiskScoringOptions>>().Value.ContainerName),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RiskModelStore>>()));
        services.TryAddSingleton(sp => new Learned.LearnedModelStore(sp.GetRequiredService<RiskModelStore>().Container,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Learned.LearnedModelStore>>()));
        services.TryAddSingleton<RiskModelTrainer>();
        services.TryAddSingleton<RiskScoringService>();
        return services;
    }
}

/// <summary>Fails start-up with every problem of <see cref="RiskScoringOptions"/> listed.</summary>
internal sealed class RiskScoringOptionsValidator : IValidateOptions<RiskScoringOptions>
{
    public ValidateOptionsResult Validate(string? name, RiskScoringOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

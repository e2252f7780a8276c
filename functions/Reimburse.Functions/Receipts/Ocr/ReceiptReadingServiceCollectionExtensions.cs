using Azure.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>Registers receipt reading: options from "Reimburse:Ocr" (validated at start), the chosen engine and the reader.</summary>
public static class ReceiptReadingServiceCollectionExtensions
{
    public static IServiceCollection AddReceiptReading(this IServiceCollection services)
    {
        services.AddOptions<OcrOptions>().BindConfiguration(OcrOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IOcrEngine>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<OcrOptions>>().Value;
            if (o.Engine == OcrEngineKind.Tesseract)
                return new TesseractOcrEngine(sp.GetRequiredService<IOptions<OcrOptions>>(), sp.GetRequiredService<ILogger<TesseractOcrEngine>>());
            if (o.Engine == OcrEngineKind.PaddleOcr)
                return new PaddleOcrEngine(sp.GetRequiredService<IOptions<OcrOptions>>(), sp.GetRequiredService<ILogger<PaddleOcrEngine>>());
            var clientOptions = new DocumentIntelligenceClientOptions { AnalysisTimeout = TimeSpan.FromSeconds(o.DocumentIntelligenceTimeoutSeconds) };
            var logger = sp.GetRequiredService<ILogger<DocumentIntelligenceOcrEngine>>();
            return string.IsNullOrEmpty(o.DocumentIntelligenceKey)
                ? new DocumentIntelligenceOcrEngine(o.DocumentIntelligenceEndpoint!, new DefaultAzureCredential(), clientOptions, logger)
                : new DocumentIntelligenceOcrEngine(o.DocumentIntelligenceEndpoint!, o.DocumentIntelligenceKey, clientOptions, logger);
        });
        services.AddSingleton<ReceiptReader>();
        return services;
    }
}

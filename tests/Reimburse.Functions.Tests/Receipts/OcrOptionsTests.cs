using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Receipts.Ocr;

namespace Reimburse.Tests.Receipts;

public class OcrOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddReceiptReading();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddReceiptReading_DocumentIntelligenceWithoutEndpoint_FailsValidation()
    {
        using var sp = Build(new() { ["Reimburse:Ocr:Engine"] = "DocumentIntelligence" });
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OcrOptions>>().Value);
        Assert.Contains("DocumentIntelligenceEndpoint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddReceiptReading_Defaults_ResolvesPaddleReader()
    {
        using var sp = Build([]);
        Assert.IsType<PaddleOcrEngine>(sp.GetRequiredService<IOcrEngine>());
        Assert.NotNull(sp.GetRequiredService<ReceiptReader>());
    }

    [Fact]
    public void AddReceiptReading_EngineTesseract_ResolvesTesseractReader()
    {
        using var sp = Build(new() { ["Reimburse:Ocr:Engine"] = "Tesseract" });
        Assert.IsType<TesseractOcrEngine>(sp.GetRequiredService<IOcrEngine>());
    }

    [Fact]
    public void AddReceiptReading_PaddleModelsMissing_FailsValidationNamingTheFix()
    {
        var empty = Directory.CreateTempSubdirectory("no-models-");
        try
        {
            using var sp = Build(new() { ["Reimburse:Ocr:PaddleModelDirectory"] = empty.FullName });
            var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OcrOptions>>().Value);
            Assert.Contains(PaddleOcrEngine.RecognitionModel, e.Message, StringComparison.Ordinal);
            Assert.Contains("npm ci", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void AddReceiptReading_ZeroTimeout_FailsValidation()
    {
        using var sp = Build(new() { ["Reimburse:Ocr:EngineTimeoutSeconds"] = "0" });
        Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OcrOptions>>().Value);
    }
}

using Reimburse.Functions.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddReimburse();

var app = builder.Build();
app.UseReimburse();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;

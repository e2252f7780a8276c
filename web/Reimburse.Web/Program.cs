using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components.WebAssembly.Hosting;
using Reimburse.Web;
using Reimburse.Web.Services;

var builder = WebAssemblyHostBuilder.CreateDefault(args);
builder.RootComponents.Add<App>("#app");
builder.RootComponents.Add<HeadOutlet>("head::after");

// The API is same-origin by default (LocalHost serves both); a static-site deployment sets Api:BaseUrl in wwwroot/appsettings.json.
var apiBase = builder.Configuration["Api:BaseUrl"] is { Length: > 0 } configured ? configured : builder.HostEnvironment.BaseAddress;
builder.Services.AddScoped(_ => new HttpClient { BaseAddress = new Uri(apiBase) });
builder.Services.AddScoped<Session>();
builder.Services.AddScoped<Lang>();
builder.Services.AddScoped<ApiClient>();

var host = builder.Build();
await host.Services.GetRequiredService<Lang>().LoadAsync();
await host.RunAsync();

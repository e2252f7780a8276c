// LOCAL STUB (not committed): the lead owns Program.cs.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Run();
public partial class Program;

using BenchmarkDotNet.Running;

// Every benchmark class marks one method Baseline = true, so the Ratio column sets each figure beside a
// baseline measured in the same run. Run: dotnet run -c Release --project bench/Fleetward.Benchmarks -- --filter '*Name*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

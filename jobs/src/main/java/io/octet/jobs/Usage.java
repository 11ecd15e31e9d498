package io.octet.jobs;

/** The command-line help text. */
final class Usage {
  static final String TEXT =
      """
      usage: bin/octet <command> [options]

        demo          [--dir octet-demo] [--warehouse octet-warehouse] [--models a,b] [--force]
                      Prepare the bundled demo (MiniLM + Europarl, digits CNN) once and run the
                      pipeline on it in local Spark; artifacts go to ./octet-warehouse.
        run           --registry FILE|URI [--models a,b] [--force] [--run-id ID] [--set key=value ...]
                      Calibrate, quantize, validate and publish every (or the selected) model.
        calibrate|quantize|validate|publish
                      --registry FILE|URI --model NAME [--run-id ID] [--force] [--set key=value ...]
                      One stage for one model; stages hand over through
                      <warehouse>/_staging/<run-id>/, so give later stages the run id the first
                      one printed. calibrate skips a model whose inputs are unchanged since its
                      last promoted run (unless --force); the later stages then do nothing.
        quantize-one  --model FP32.onnx --calibration DATA.parquet [--validation DATA.parquet]
                      --out INT8.onnx [--method minmax|percentile|entropy|mse]
                      [--mode static|dynamic|fp16|weight-only-int4|auto] [--skip-validation]
                      [--set key=value ...]
                      Quantize one model file from data on disk, no registry needed; the
                      calibration table is written next to --out. --mode auto searches recipes
                      as a registry's default does, scoring them on --validation.
        check-int8    --model INT8.onnx [--target portable|vnni|arm64] [--json]
                      Read any INT8 ONNX model (Octet's or another tool's) and report, from its
                      weights alone, which integer MatMul/Gemm/Conv nodes can saturate on x86
                      CPUs without VNNI (AVX2). Exit 0 when none can on the target (default
                      portable: every CPU), 1 when some can (or one could not be checked), 2
                      when the model cannot be read.
        prepare-demo  [--dir octet-demo]   Only prepare the demo data and registry.
        gc            --registry FILE|URI [--dry-run] [--set run.gc-grace=24h]
                      Remove what dead runs left in the warehouse (_staging/<run-id>/, run
                      prefixes without a manifest, run claims without a summary) once unchanged
                      for run.gc-grace. Published and finished runs are never touched.
        help

      --verbose (every command) prints stack traces and Octet's INFO log on the console; by
      default the console shows one line per failure and the log file has the traces.

      --set key=value overrides any config key (see reference.conf), e.g.
        --set calibration.partitions=8 --set warehouse=s3a://bucket/zoo
      Exit codes: 0 all models passed or were unchanged, 1 a model failed or missed its gate,
      2 usage or config error, 3 internal error.
      """;

  private Usage() {}
}

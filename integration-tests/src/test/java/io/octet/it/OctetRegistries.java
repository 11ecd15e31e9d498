package io.octet.it;

/**
 * Registry entries for the real models, as a user writes them: everything on {@code s3a://}, small
 * dataset limits so a CI run stays short on two cores.
 */
final class OctetRegistries {
  private OctetRegistries() {}

  /** Bucket keys of the uploaded inputs. */
  static final String MINILM_MODEL = "models/minilm/all-minilm-l6-v2.onnx";

  static final String MINILM_CALIBRATION = "data/minilm/calibration";
  static final String MINILM_VALIDATION = "data/minilm/validation";
  static final String DIGITS_MODEL = "models/digits-cnn/digits_cnn.onnx";
  static final String DIGITS_CALIBRATION = "data/digits/calibration";
  static final String DIGITS_VALIDATION = "data/digits/validation";
  static final String PPOCR_MODEL = "models/ppocr-det/ppocr_det_v4.onnx";
  static final String PPOCR_CALIBRATION = "data/ppocr/calib.parquet";
  static final String PPOCR_VALIDATION = "data/ppocr/val.parquet";

  /** MiniLM rows used: 200 calibration, 100 validation (the first by id). */
  static final int MINILM_CALIBRATION_ROWS = 200;

  static final int MINILM_VALIDATION_ROWS = 100;

  /** PP-OCR rows used (each is a 3×320×320 image: about 1 s of calibration work per row). */
  static final int PPOCR_CALIBRATION_ROWS = 16;

  static final int PPOCR_VALIDATION_ROWS = 8;

  /** The gates. */
  static final double MINILM_MIN_MEAN_COSINE = 0.97;

  static final double DIGITS_MAX_DROP_POINTS = 0.5;
  static final double PPOCR_MIN_SQNR_DB = 12;

  /** all-MiniLM-L6-v2: static INT8 on the MatMuls, MSE clipping, gated on mean cosine. */
  static String minilm(String name, String bucket) {
    return minilm(
        name,
        bucket,
        MINILM_VALIDATION_ROWS,
        "latency-rows = 16, latency-rounds = 1, node-sqnr-rows = 16");
  }

  /**
   * MiniLM for the fault tests, which compare artifacts rather than quality: the same calibration
   * (200 rows) but 16 validation rows, no latency measurement and no per-node SQNR.
   */
  static String minilmFast(String name, String bucket) {
    return minilm(name, bucket, 16, "latency-rows = 0, node-sqnr-rows = 0");
  }

  private static String minilm(String name, String bucket, int validationRows, String extra) {
    return """
          %s {
            uri = "s3a://%s/%s"
            calibration { dataset = "s3a://%s/%s", max-rows = %d, batch-size = 32 }
            validation {
              dataset = "s3a://%s/%s", max-rows = %d
              pooling = mean, mask-input = attention_mask
              %s
              gate { min-mean-cosine = %s }
            }
            quantization { op-types = [MatMul], method = mse }
            id-column = id
            inputs = [
              { name = input_ids, column = input_ids, dtype = int64, shape = [-1] }
              { name = attention_mask, column = attention_mask, dtype = int64, shape = [-1] }
              { name = token_type_ids, column = token_type_ids, dtype = int64, shape = [-1] }
            ]
          }
        """
        .formatted(
            name,
            bucket,
            MINILM_MODEL,
            bucket,
            MINILM_CALIBRATION,
            MINILM_CALIBRATION_ROWS,
            bucket,
            MINILM_VALIDATION,
            validationRows,
            extra,
            MINILM_MIN_MEAN_COSINE);
  }

  /** The digits CNN, gated on top-1 accuracy; model and data keys can be swapped for bad input. */
  static String digits(
      String name, String modelUri, String calibrationUri, String validationUri, String extra) {
    return """
          "%s" {
            uri = "%s"
            calibration { dataset = "%s" }
            validation {
              dataset = "%s"
              latency-rows = 16, latency-rounds = 1
              gate { max-accuracy-drop-points = %s }
            }
            quantization { method = percentile }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
            %s
          }
        """
        .formatted(name, modelUri, calibrationUri, validationUri, DIGITS_MAX_DROP_POINTS, extra);
  }

  /**
   * The digits CNN on Octet's defaults: no recipe and no gate, so auto mode searches and holds it
   * to its default accuracy gate.
   */
  static String digitsAuto(String name, String bucket) {
    return """
          "%s" {
            uri = "s3a://%s/%s"
            calibration { dataset = "s3a://%s/%s" }
            validation { dataset = "s3a://%s/%s", latency-rows = 16, latency-rounds = 1 }
            quantization.auto { latency-rows = 16 }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
          }
        """
        .formatted(
            name, bucket, DIGITS_MODEL, bucket, DIGITS_CALIBRATION, bucket, DIGITS_VALIDATION);
  }

  /** The digits CNN with the standard uploaded inputs. */
  static String digits(String name, String bucket) {
    return digits(
        name,
        "s3a://" + bucket + "/" + DIGITS_MODEL,
        "s3a://" + bucket + "/" + DIGITS_CALIBRATION,
        "s3a://" + bucket + "/" + DIGITS_VALIDATION,
        "");
  }

  /** PP-OCRv4 detection: static INT8 on Conv/ConvTranspose, gated on SQNR of the text map. */
  static String ppocr(String name, String bucket) {
    return """
          %s {
            uri = "s3a://%s/%s"
            calibration { dataset = "s3a://%s/%s", max-rows = %d, batch-size = 4 }
            validation {
              dataset = "s3a://%s/%s", max-rows = %d, batch-size = 4
              latency-rows = 2, latency-rounds = 1, node-sqnr-rows = 0
              gate { min-sqnr-db = %s }
            }
            quantization { op-types = [Conv, ConvTranspose], method = percentile }
            id-column = id
            inputs = [ { name = x, column = image, dtype = float32, shape = [3, 320, 320] } ]
          }
        """
        .formatted(
            name,
            bucket,
            PPOCR_MODEL,
            bucket,
            PPOCR_CALIBRATION,
            PPOCR_CALIBRATION_ROWS,
            bucket,
            PPOCR_VALIDATION,
            PPOCR_VALIDATION_ROWS,
            PPOCR_MIN_SQNR_DB);
  }

  /** A registry: warehouse, run settings and model entries. */
  static String registry(String warehouseUri, String runSettings, String... models) {
    return "warehouse = \""
        + warehouseUri
        + "\"\nrun { "
        + runSettings
        + " }\nmodels {\n"
        + String.join("", models)
        + "}\n";
  }

  /** Uploads the three real models and their datasets to {@code bucket}. */
  static void uploadRealModels(Bucket bucket, ItData.Demo demo, ItData.Ppocr ppocr) {
    uploadMinilm(bucket, demo);
    uploadDigits(bucket, demo);
    bucket.upload(PPOCR_MODEL, ppocr.model());
    bucket.uploadDataset(PPOCR_CALIBRATION, ppocr.calibration());
    bucket.uploadDataset(PPOCR_VALIDATION, ppocr.validation());
  }

  static void uploadMinilm(Bucket bucket, ItData.Demo demo) {
    bucket.upload(MINILM_MODEL, demo.minilmModel());
    bucket.uploadDataset(MINILM_CALIBRATION, demo.minilmCalibration());
    bucket.uploadDataset(MINILM_VALIDATION, demo.minilmValidation());
  }

  static void uploadDigits(Bucket bucket, ItData.Demo demo) {
    bucket.upload(DIGITS_MODEL, demo.digitsModel());
    bucket.uploadDataset(DIGITS_CALIBRATION, demo.digitsCalibration());
    bucket.uploadDataset(DIGITS_VALIDATION, demo.digitsValidation());
  }
}

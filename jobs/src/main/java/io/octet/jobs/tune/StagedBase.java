package io.octet.jobs.tune;

import java.io.Serializable;
import java.util.List;

/**
 * Where executors find a tuning starting point: the FP32 model and its calibration table.
 *
 * @param fp32Uri the FP32 (possibly smoothed) model
 * @param fp32Sha its hash
 * @param dataFiles its external data files
 * @param tableUri its calibration table
 */
public record StagedBase(String fp32Uri, String fp32Sha, List<String> dataFiles, String tableUri)
    implements Serializable {}

/** The validate stage: FP32 and INT8 side by side over the held-out split, merged exactly. */
package io.octet.jobs.validate;

/* The study file's schema: one entry per dataset and attribute (study_impl.h explains paths, kinds and sizes).
 * SLStudyDeclareLayout (layout.c) declares the file by walking this table, run.c and provenance.c write through
 * its ids, `splinelens schema` prints it (schema_json.c), tests/analysis/test_schema.py holds analysis/FORMAT.md
 * and the Python reader to it. Descriptions and units are those written into the file. */
#include "study_impl.h"

/* clang-format off */
const SLSchemaField SLSchemaFields[SL_NFIELDS] = {
  /* root attributes (provenance) */
  [SL_F_ATTR_FORMAT]              = {"@format", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "file format: \"splinelens-study\"", "", SL_SCHEMA_BY_OUTPUT},
  [SL_F_ATTR_FORMAT_VERSION]      = {"@format_version", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "version of the file format", "", SL_SCHEMA_BY_OUTPUT},
  [SL_F_ATTR_STUDY_FINGERPRINT]   = {"@study_fingerprint", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "hex FNV-1a 64 hash of study_options: what a resumed or merged file must match", "", SL_SCHEMA_BY_OUTPUT},
  [SL_F_ATTR_STUDY_NAME]          = {"@study_name", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "name of the study (-sl_study_name)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_STUDY_OPTIONS]       = {"@study_options", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "canonical options text the fingerprint is computed from: one name=value per line, names without the dash", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SETTINGS_FINGERPRINT] = {"@settings_fingerprint", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "hex FNV-1a 64 hash of study_options without the axes -sl_widths, -sl_seeds, -sl_alphas, -sl_schemes, -sl_datasets and without the data sets' lines (data/{name}@options): a file with the same settings fingerprint but other axes is grown", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_OPTIONS]             = {"@options", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "full PETSc options table of the invocation that created the file, on one line (PetscOptionsGetAll)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_CONFIG_TEXT]         = {"@config_text", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "text of every -options_file", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SPLINELENS_VERSION]  = {"@splinelens_version", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "version of the program", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_GIT_COMMIT]          = {"@git_commit", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "git commit the program was built from", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_PETSC_VERSION]       = {"@petsc_version", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "PETSc version", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SLEPC_VERSION]       = {"@slepc_version", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "SLEPc version", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_HDF5_VERSION]        = {"@hdf5_version", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "HDF5 library version", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_MPI_VERSION]         = {"@mpi_version", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "MPI library version (MPI_Get_library_version, on one line)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_HOSTNAME]            = {"@hostname", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "host of rank 0", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_START_TIME]          = {"@start_time", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "creation time of the file (ISO 8601 UTC)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_END_TIME]            = {"@end_time", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "time of the last close (ISO 8601 UTC; empty until then)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_COMPLETE]            = {"@complete", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "\"1\" when every run (of the slice) is done, else \"0\" (written at close)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_NRANKS]              = {"@nranks", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "MPI ranks of the invocation that created the file", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SLURM_JOB_ID]        = {"@slurm_job_id", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "SLURM_JOB_ID (empty when not under SLURM)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SLURM_ARRAY_JOB_ID]  = {"@slurm_array_job_id", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "SLURM_ARRAY_JOB_ID (empty when not under SLURM)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SLURM_ARRAY_TASK_ID] = {"@slurm_array_task_id", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "SLURM_ARRAY_TASK_ID (empty when not under SLURM)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_RNG_SCHEME]          = {"@rng_scheme", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "random number scheme of the initializations (rng.h)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_LOSS]                = {"@loss", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "loss type: sum or mean", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_OUTPUT_BIAS]         = {"@output_bias", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "\"1\" if the networks have an output bias c, else \"0\"", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_SLICE]               = {"@slice", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "\"index/count\" for a slice file, empty for a whole study", "", SL_SCHEMA_BY_STUDY},
  [SL_F_ATTR_MERGED_FROM]         = {"@merged_from", SL_SCHEMA_ROOT_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_FILES, "merged files only: the input file names", "", SL_SCHEMA_BY_MERGE},
  /* axes */
  [SL_F_AXES_WIDTH]  = {"axes/width", SL_SCHEMA_AXIS, SL_SCHEMA_INT64, 0, SL_SIZE_AXIS, "widths axis", "neurons", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_SEED]   = {"axes/seed", SL_SCHEMA_AXIS, SL_SCHEMA_INT64, 0, SL_SIZE_AXIS, "seeds axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_ALPHA]  = {"axes/alpha", SL_SCHEMA_AXIS, SL_SCHEMA_FLOAT64, 0, SL_SIZE_AXIS, "initialization scales axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_SCHEME] = {"axes/scheme", SL_SCHEMA_AXIS, SL_SCHEMA_STRING, 0, SL_SIZE_AXIS, "initialization schemes axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_DATA]   = {"axes/data", SL_SCHEMA_AXIS, SL_SCHEMA_STRING, 0, SL_SIZE_AXIS, "data sets axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_COORDS] = {"axes/coords", SL_SCHEMA_AXIS, SL_SCHEMA_STRING, 0, SL_SIZE_AXIS, "coordinate systems of the Hessian spectra", "", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_PARTS]  = {"axes/parts", SL_SCHEMA_AXIS, SL_SCHEMA_STRING, 0, SL_SIZE_AXIS, "Hessian parts (full = J^T J + R)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_AXES_STAGES] = {"axes/stages", SL_SCHEMA_AXIS, SL_SCHEMA_STRING, 0, SL_SIZE_AXIS, "when the Hessian spectra are computed", "", SL_SCHEMA_BY_STUDY},
  /* data sets: one group per data set */
  [SL_F_DATA_X]             = {"data/{name}/x", SL_SCHEMA_DATA, SL_SCHEMA_FLOAT64, 0, SL_SIZE_N, "inputs x_n", "x", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_Y]             = {"data/{name}/y", SL_SCHEMA_DATA, SL_SCHEMA_FLOAT64, 0, SL_SIZE_N, "targets y_n", "y", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_TYPE]     = {"data/{name}@type", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "data set type (data.h)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_SAMPLING] = {"data/{name}@sampling", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "sampling of the inputs", "", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_FILE]     = {"data/{name}@file", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "CSV file the data were read from (empty for generated data)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_N]        = {"data/{name}@n", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "number of points N", "", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_XMIN]     = {"data/{name}@xmin", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "lower end of the input range (%.17g)", "x", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_XMAX]     = {"data/{name}@xmax", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "upper end of the input range (%.17g)", "x", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_NOISE]    = {"data/{name}@noise", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "standard deviation of the target noise (%.17g)", "y", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_SEED]     = {"data/{name}@seed", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "seed of the sampling and noise", "", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_FINGERPRINT] = {"data/{name}@fingerprint", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "hex FNV-1a 64 hash of @options: a grown study or a union may add data sets, never change one", "", SL_SCHEMA_BY_STUDY},
  [SL_F_DATA_ATTR_OPTIONS]  = {"data/{name}@options", SL_SCHEMA_DATA_ATTRIBUTE, SL_SCHEMA_STRING, 0, SL_SIZE_ONE, "the data set's lines of study_options: its -sl_data_<name>_* options and data_<name>_points=N:<hash of x and y>", "", SL_SCHEMA_BY_STUDY},
  /* the run table */
  [SL_F_RUNS_RUN_ID]         = {"runs/run_id", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "run index (dimension scale \"run\" of every run-table column)", "", SL_SCHEMA_BY_OUTPUT},
  [SL_F_RUNS_STATUS]         = {"runs/status", SL_SCHEMA_COLUMN, SL_SCHEMA_INT8, 0, SL_SIZE_R, "run status: 0 pending, 1 done, 2 failed (finished with a failure reason)", "", SL_SCHEMA_BY_OUTPUT},
  [SL_F_RUNS_WIDTH]          = {"runs/width", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "network width H (hidden neurons)", "neurons", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_SEED]           = {"runs/seed", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "seed of the network initialization", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_ALPHA]          = {"runs/alpha", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "global initialization scale alpha", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_SCHEME]         = {"runs/scheme", SL_SCHEMA_COLUMN, SL_SCHEMA_STRING, 32, SL_SIZE_R, "initialization scheme", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_DATA]           = {"runs/data", SL_SCHEMA_COLUMN, SL_SCHEMA_STRING, 64, SL_SIZE_R, "data set name (group /data/<name>)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_I_WIDTH]        = {"runs/i_width", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "index on the width axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_I_SEED]         = {"runs/i_seed", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "index on the seed axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_I_ALPHA]        = {"runs/i_alpha", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "index on the alpha axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_I_SCHEME]       = {"runs/i_scheme", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "index on the scheme axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_I_DATA]         = {"runs/i_data", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "index on the data axis", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_N_PARAMS]       = {"runs/n_params", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "number of NN parameters P = 3H (+1)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_N_POINTS]       = {"runs/n_points", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "number of data points N", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_STOP_REASON]    = {"runs/stop_reason", SL_SCHEMA_COLUMN, SL_SCHEMA_STRING, 32, SL_SIZE_R, "why training stopped", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_REASON]         = {"runs/reason", SL_SCHEMA_COLUMN, SL_SCHEMA_STRING, 128, SL_SIZE_R, "failure message (empty when the run succeeded)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_STEPS]          = {"runs/steps", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "accepted gradient-flow (TS) steps", "steps", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_TIME]     = {"runs/final_time", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "gradient-flow time reached", "time", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_LOSS]      = {"runs/init_loss", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "loss at initialization", "loss", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_LOSS]     = {"runs/final_loss", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "loss at the end of training", "loss", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_Q_DRIFT]        = {"runs/q_drift", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "max_i |q_i(T)-q_i(0)| / max(1, max_i |q_i(0)|), q = v^2 - w^2 - b^2", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INTERPOLATING]  = {"runs/interpolating", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "1 if training reached loss <= loss_tol", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_GRAD_NORM] = {"runs/init_grad_norm", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "||grad l|| (2-norm) at initialization; NaN for untrained runs", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_GRAD_NORM] = {"runs/final_grad_norm", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "||grad l|| (2-norm) at the end of training; stop_reason stationary: <= grad_rtol x init_grad_norm", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_R_TOTAL]   = {"runs/init_R_total", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "roughness sum_i mu_i^2 at init", "1/x^2", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_R_IN]      = {"runs/init_R_in", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "roughness over breakpoints inside the data range at init", "1/x^2", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_FRAC_IN]   = {"runs/init_frac_in", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "fraction of breakpoints inside the data range at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_MAX_KINK]  = {"runs/init_max_kink", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "largest |mu_i| inside the data range at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_N_IN]      = {"runs/init_n_in", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "breakpoints inside the data range at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_N_DEAD]    = {"runs/init_n_dead", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "neurons with an empty active set at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_N_FLAT]    = {"runs/init_n_flat", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "neurons with w = 0 at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_INIT_N_DIRAC]   = {"runs/init_n_dirac", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "(neuron, point) pairs with a breakpoint on a data point at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_R_TOTAL]  = {"runs/final_R_total", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "roughness sum_i mu_i^2 at the end", "1/x^2", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_R_IN]     = {"runs/final_R_in", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "roughness over breakpoints inside the data range at the end", "1/x^2", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_FRAC_IN]  = {"runs/final_frac_in", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "fraction of breakpoints inside the data range at the end", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_MAX_KINK] = {"runs/final_max_kink", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "largest |mu_i| inside the data range at the end", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_N_IN]     = {"runs/final_n_in", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "breakpoints inside the data range at the end", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_N_DEAD]   = {"runs/final_n_dead", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "neurons with an empty active set at the end", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_N_FLAT]   = {"runs/final_n_flat", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "neurons with w = 0 at the end", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_FINAL_N_DIRAC]  = {"runs/final_n_dirac", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "(neuron, point) pairs with a breakpoint on a data point at the end", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNS_CHECKS_OK]      = {"runs/checks_ok", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "1 if every spectral check of the run holds", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNINFO_WALL_TIME]   = {"runinfo/wall_time", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "wall-clock time of the run", "s", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNINFO_CPU_TIME]    = {"runinfo/cpu_time", SL_SCHEMA_COLUMN, SL_SCHEMA_FLOAT64, 0, SL_SIZE_R, "CPU time of the run, summed over the ranks that ran it", "s", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNINFO_RANK]        = {"runinfo/rank", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "first rank of the group that ran it", "", SL_SCHEMA_BY_STUDY},
  [SL_F_RUNINFO_GROUP_SIZE]  = {"runinfo/group_size", SL_SCHEMA_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "ranks that ran it", "", SL_SCHEMA_BY_STUDY},
  /* ragged per-run arrays */
  [SL_F_NETWORK_THETA_INIT]  = {"network/theta_init", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_P, "initial NN parameters, neuron-major (w_i, b_i, v_i), c last", "", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_THETA_FINAL] = {"network/theta_final", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_P, "final NN parameters, neuron-major (w_i, b_i, v_i), c last", "", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_BETA_INIT]   = {"network/beta_init", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_H, "breakpoints beta_i = -b_i/w_i at init (NaN for w_i = 0)", "x", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_MU_INIT]     = {"network/mu_init", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_H, "delta-slopes mu_i = v_i |w_i| at init", "y/x", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_S_INIT]      = {"network/s_init", SL_SCHEMA_RAGGED, SL_SCHEMA_INT64, 0, SL_SIZE_H, "orientations s_i = sign(w_i) at init", "", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_BETA_FINAL]  = {"network/beta_final", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_H, "breakpoints beta_i = -b_i/w_i at final (NaN for w_i = 0)", "x", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_MU_FINAL]    = {"network/mu_final", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_H, "delta-slopes mu_i = v_i |w_i| at final", "y/x", SL_SCHEMA_BY_STUDY},
  [SL_F_NETWORK_S_FINAL]     = {"network/s_final", SL_SCHEMA_RAGGED, SL_SCHEMA_INT64, 0, SL_SIZE_H, "orientations s_i = sign(w_i) at final", "", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_CURVE_TIME]    = {"train/curve_time", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_M, "loss-curve times (0, then log-spaced)", "time", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_CURVE_LOSS]    = {"train/curve_loss", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_M, "loss at curve_time (NaN after an early stop)", "loss", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_SNAP_TIME]     = {"train/snap_time", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_K, "snapshot times", "time", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_SNAP_LOSS]     = {"train/snap_loss", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_K, "loss at the snapshot times", "loss", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_SNAP_THETA]    = {"train/snap_theta", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_KP, "parameter snapshots, K x P row-major", "", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_SNAP_BETA]     = {"train/snap_beta", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_KH, "breakpoints at the snapshots, K x H row-major", "x", SL_SCHEMA_BY_STUDY},
  [SL_F_TRAIN_SNAP_MU]       = {"train/snap_mu", SL_SCHEMA_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_KH, "delta-slopes at the snapshots, K x H row-major", "y/x", SL_SCHEMA_BY_STUDY},
  /* spectra: one group per selected stage, coordinates and part */
  [SL_F_SPEC_METHOD]        = {"spectra/{stage}/{coords}/{part}/method", SL_SCHEMA_SPECTRUM_COLUMN, SL_SCHEMA_STRING, 16, SL_SIZE_R, "eigensolver: dense (every eigenvalue) or krylov (extremes)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_SIZE]          = {"spectra/{stage}/{coords}/{part}/size", SL_SCHEMA_SPECTRUM_COLUMN, SL_SCHEMA_INT64, 0, SL_SIZE_R, "operator size P", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_N_NEG]         = {"spectra/{stage}/{coords}/{part}/n_neg", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "eigenvalues < -zero_tol (exact count)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_N_ZERO]        = {"spectra/{stage}/{coords}/{part}/n_zero", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "eigenvalues with |lambda| <= zero_tol (exact count)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_N_POS]         = {"spectra/{stage}/{coords}/{part}/n_pos", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "eigenvalues > zero_tol (exact count)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_N_BOUND]       = {"spectra/{stage}/{coords}/{part}/n_bound", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "neurons with a nonzero residual sum: upper bound of n_neg", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_CHECK_NEG]     = {"spectra/{stage}/{coords}/{part}/check_neg", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "1 if n_neg <= n_bound", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_CHECK_ZERO]    = {"spectra/{stage}/{coords}/{part}/check_zero", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "at interpolating minima 1 if at least P - rank bound eigenvalues lie within zero_tol + ||R|| of 0 (Weyl), else 0; -1 not applicable (not interpolating, or the residual part)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_NCONV]         = {"spectra/{stage}/{coords}/{part}/nconv", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "stored eigenvalues that converged", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_NREDUCED]      = {"spectra/{stage}/{coords}/{part}/nreduced", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "size of the class-reduced eigenproblem the extremes came from (-1: dense or Krylov-Schur)", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_CHECK_COUNTS]  = {"spectra/{stage}/{coords}/{part}/check_counts", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_INT64, 0, SL_SIZE_SPEC, "1 if the dense spectrum and the exact inertia counts agree, 0 if not, -1 not both computed", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_LAMBDA_MIN]    = {"spectra/{stage}/{coords}/{part}/lambda_min", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_FLOAT64, 0, SL_SIZE_SPEC, "smallest eigenvalue", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_LAMBDA_MAX]    = {"spectra/{stage}/{coords}/{part}/lambda_max", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_FLOAT64, 0, SL_SIZE_SPEC, "largest eigenvalue", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_ZERO_TOL]      = {"spectra/{stage}/{coords}/{part}/zero_tol", SL_SCHEMA_SPECTRUM_SCALAR, SL_SCHEMA_FLOAT64, 0, SL_SIZE_SPEC, "zero tolerance zero_rtol * max |lambda|", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_VALUES]        = {"spectra/{stage}/{coords}/{part}/values", SL_SCHEMA_SPECTRUM_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_NVALS, "eigenvalues, ascending (all, or k smallest then k largest)", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_RESIDUALS]     = {"spectra/{stage}/{coords}/{part}/residuals", SL_SCHEMA_SPECTRUM_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_NVALS, "residual norms ||H x - lambda x|| of the eigenpairs", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_HIST_EDGES]    = {"spectra/{stage}/{coords}/{part}/hist_edges", SL_SCHEMA_SPECTRUM_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_NBINS1, "exact-histogram bin edges", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_HIST_COUNTS]   = {"spectra/{stage}/{coords}/{part}/hist_counts", SL_SCHEMA_SPECTRUM_RAGGED, SL_SCHEMA_INT64, 0, SL_SIZE_NBINS, "exact number of eigenvalues per histogram bin", "", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_GRAM_VALUES]   = {"spectra/{stage}/{coords}/{part}/gram_values", SL_SCHEMA_SPECTRUM_RAGGED, SL_SCHEMA_FLOAT64, 0, SL_SIZE_NGRAM, "at interpolating minima: eigenvalues of the Gram matrix scale J J^T (N x N), the exact nonzero spectrum; NaN otherwise", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_VECTOR_VALUES] = {"spectra/{stage}/{coords}/{part}/vector_values", SL_SCHEMA_SPECTRUM_VECTORS, SL_SCHEMA_FLOAT64, 0, SL_SIZE_NVEC, "eigenvalues of the stored eigenvectors: the k smallest then the k largest", "loss/param^2", SL_SCHEMA_BY_STUDY},
  [SL_F_SPEC_VECTORS]       = {"spectra/{stage}/{coords}/{part}/vectors", SL_SCHEMA_SPECTRUM_VECTORS, SL_SCHEMA_FLOAT64, 0, SL_SIZE_NVEC_P, "unit eigenvectors, nvec x P row-major, coordinates in the run's order (neuron-major (w,b,v) or (beta,mu), c last); entry of largest |x| positive", "", SL_SCHEMA_BY_STUDY},
};
/* clang-format on */

const char *const SLSchemaKindNames[] = {"root_attribute", "axis", "data", "data_attribute", "column", "ragged", "spectrum_column", "spectrum_scalar", "spectrum_ragged", "spectrum_vectors"};
const char *const SLSchemaTypeNames[] = {"int64", "float64", "string", "int8"};
const char *const SLSchemaSizeNames[] = {"1", "number of merged files", "n_<axis>", "N", "R", "P per run", "H per run", "M per run", "K per run", "K x P per run (0 above -sl_output_max_snapshot_params)", "K x H per run (0 above -sl_output_max_snapshot_params)", "R (init, final); K per run (snapshots)", "nvals per run (K x nvals at snapshots)", "nbins+1 per run, 0 without histogram (K x (nbins+1) at snapshots)", "nbins per run (K x nbins at snapshots)", "N per run, 0 for the residual part (K x N at snapshots)", "nvec per run", "nvec x P per run"};

/* Append src to buf at *at, or fail naming the field. */
static PetscErrorCode SLSchemaAppend(SLSchemaId id, char buf[], size_t len, size_t *at, const char src[], size_t n)
{
  PetscFunctionBeginUser;
  PetscCheck(*at + n < len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Schema: the path of %s does not fit in %zu bytes", SLSchemaFields[id].path, len);
  PetscCall(PetscMemcpy(buf + *at, src, n));
  *at += n;
  buf[*at] = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode SLSchemaPath(SLSchemaId id, const SLSchemaKey *key, char buf[], size_t len)
{
  const char *t, *q;
  size_t      at = 0;

  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id < SL_NFIELDS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Schema: no field with id %d", (int)id);
  t      = SLSchemaFields[id].path;
  buf[0] = 0;
  while (*t) {
    const char *v = NULL;
    if (*t != '{') {
      for (q = t; *q && *q != '{'; q++) { }
      PetscCall(SLSchemaAppend(id, buf, len, &at, t, (size_t)(q - t)));
      t = q;
      continue;
    }
    q = strchr(t, '}');
    PetscCheck(q, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Schema: unterminated placeholder in %s", SLSchemaFields[id].path);
    PetscCheck(key, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Schema: %s needs a key to fill its placeholders", SLSchemaFields[id].path);
    if (!strncmp(t, "{name}", 6)) v = key->name;
    else if (!strncmp(t, "{stage}", 7)) v = SLStageNames[key->stage];
    else if (!strncmp(t, "{coords}", 8)) v = SLCoordinateNames[key->coords];
    else if (!strncmp(t, "{part}", 6)) v = SLHessianParts[key->part];
    PetscCheck(v, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Schema: unknown placeholder %.*s in %s", (int)(q - t + 1), t, SLSchemaFields[id].path);
    PetscCall(SLSchemaAppend(id, buf, len, &at, v, strlen(v)));
    t = q + 1;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SLSchemaAttribute(SLSchemaId id, const SLSchemaKey *key, char object[], size_t len, const char **name)
{
  char  full[PETSC_MAX_PATH_LEN];
  char *at;

  PetscFunctionBeginUser;
  PetscCall(SLSchemaPath(id, key, full, sizeof(full)));
  at = strchr(full, '@');
  PetscCheck(at, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Schema: %s is not an attribute", SLSchemaFields[id].path);
  if (name) *name = strchr(SLSchemaFields[id].path, '@') + 1;
  *at = 0;
  PetscCheck(strlen(full) + 2 <= len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Schema: the object of %s does not fit in %zu bytes", SLSchemaFields[id].path, len);
  PetscCall(PetscStrncpy(object, full[0] ? full : "/", len));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSchemaOutputType(SLSchemaId id, SLFieldType *type)
{
  PetscFunctionBeginUser;
  switch (SLSchemaFields[id].type) {
  case SL_SCHEMA_INT64:
    *type = SL_FIELD_INT;
    break;
  case SL_SCHEMA_FLOAT64:
    *type = SL_FIELD_REAL;
    break;
  case SL_SCHEMA_STRING:
    *type = SL_FIELD_STRING;
    break;
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Schema: %s has type %s, which the study does not write", SLSchemaFields[id].path, SLSchemaTypeNames[SLSchemaFields[id].type]);
  }
  PetscFunctionReturn(0);
}

/* Is id a per-run field of type t the study writes? Then its path for key. */
static PetscErrorCode SLSchemaWritable(SLSchemaId id, SLSchemaType t, const SLSchemaKey *key, char path[], size_t len)
{
  const SLSchemaField *f;

  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id < SL_NFIELDS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Schema: no field with id %d", (int)id);
  f = &SLSchemaFields[id];
  PetscCheck(f->kind >= SL_SCHEMA_COLUMN && f->writer == SL_SCHEMA_BY_STUDY, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Schema: %s (%s) is not a per-run field the study writes", f->path, SLSchemaKindNames[f->kind]);
  PetscCheck(f->type == t, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Schema: %s has type %s, written as %s", f->path, SLSchemaTypeNames[f->type], SLSchemaTypeNames[t]);
  PetscCall(SLSchemaPath(id, key, path, len));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSchemaPutInt(SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt run, PetscInt start, PetscInt n, const PetscInt64 v[])
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(SLSchemaWritable(id, SL_SCHEMA_INT64, key, path, sizeof(path)));
  PetscCall(SLOutputPutInt(out, path, run, start, n, v));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSchemaPutReal(SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt run, PetscInt start, PetscInt n, const PetscReal v[])
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(SLSchemaWritable(id, SL_SCHEMA_FLOAT64, key, path, sizeof(path)));
  PetscCall(SLOutputPutReal(out, path, run, start, n, v));
  PetscFunctionReturn(0);
}

PetscErrorCode SLSchemaPutString(SLOutput out, SLSchemaId id, const SLSchemaKey *key, PetscInt run, const char v[])
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(SLSchemaWritable(id, SL_SCHEMA_STRING, key, path, sizeof(path)));
  PetscCall(SLOutputPutString(out, path, run, v));
  PetscFunctionReturn(0);
}

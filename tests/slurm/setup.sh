#!/bin/bash
# ctest fixture of the SLURM tests: install, configure and start the one-node cluster, then smoke-test it
# (sbatch, srun, MPI through srun --mpi=pmix and through mpirun in an allocation). Skips unless SL_TEST_SLURM=1.
if [ "${SL_TEST_SLURM:-0}" != 1 ]; then
  echo "SKIP slurm setup: set SL_TEST_SLURM=1 to run the SLURM tests (they install and start a one-node SLURM as root)"
  exit 77
fi
exec bash "$(dirname "$0")/setup-slurm.sh" --check

/* splinelens: the spline lens on shallow univariate ReLU networks. Umbrella header; each module's header is
 * the map of one section of docs/theory.md:
 *   sys.h      conventions, loss normalisation                    (section 1)
 *   rng.h      counter-based random numbers
 *   data.h     data sets                                          (section 1)
 *   network.h  NN coordinates: f, J, gradient, Hess = J^T J + R  (sections 1, 4)
 *   classeval.h the same by activation classes, O(H log N + N)     (section 4)
 *   spline.h   BDSO coordinates, roughness, breakpoints           (sections 2, 3, 4)
 *   init.h     initialization schemes and their laws              (section 3)
 */
#pragma once
#include <splinelens/sys.h>
#include <splinelens/rng.h>
#include <splinelens/data.h>
#include <splinelens/network.h>
#include <splinelens/classeval.h>
#include <splinelens/spline.h>
#include <splinelens/init.h>
#include <splinelens/train.h>
#include <splinelens/hessian.h>
#include <splinelens/spectrum.h>
#include <splinelens/output.h>
#include <splinelens/study.h>

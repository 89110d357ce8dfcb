/**
 * File utilities shared by the OpenCL backend ({@code org.convcl.opencl}: program cache, tuning files) and the
 * command-line tool ({@code org.convcl.cli}: {@code .npy} output), so that neither reaches into the other for
 * them. JDK only; not part of the convolution API.
 */
package org.convcl.io;
